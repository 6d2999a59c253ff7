//! Serving the files of a directory, like the original's `tracing-server.tac` (Twisted's static `File`).
//!
//! `GET /a/b.txt` answers the file `DIR/a/b.txt`; a directory answers a plain-text listing. Paths are
//! percent-decoded; a `..` segment, a backslash, a NUL, or a path that resolves (through links) outside the
//! directory is refused with 404, as is anything missing. Methods other than GET and HEAD get 405.

use std::io;
use std::path::{Path, PathBuf};

use http_types::{Body, Method, Mime, Request, Response, StatusCode};

/// A directory whose files are served.
#[derive(Debug, Clone)]
pub struct FileRoot {
    root: PathBuf,
}

/// `%XX`-decodes a URL path; `None` when an escape is broken or the result is not UTF-8.
pub fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The relative path a URL path names, or `None` when it must be refused (`..`, `\`, NUL, bad escapes).
pub fn relative_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains('\\') || s.contains('\0') => return None,
            s => relative.push(s),
        }
    }
    Some(relative)
}

fn text_response(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(status);
    response.set_body(text);
    response.set_content_type(http_types::mime::PLAIN);
    response
}

impl FileRoot {
    /// Serves `dir` (which must exist).
    pub fn new(dir: &Path) -> io::Result<Self> {
        Ok(FileRoot {
            root: dir.canonicalize()?,
        })
    }

    /// The served directory, absolute.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file or directory a URL path names inside the root, or `None` (refused or missing).
    pub async fn resolve(&self, url_path: &str) -> Option<PathBuf> {
        let candidate = self.root.join(relative_path(url_path)?);
        let resolved = smol::unblock(move || candidate.canonicalize()).await.ok()?;
        resolved.starts_with(&self.root).then_some(resolved)
    }

    /// Answers `request`: the file, a directory listing, 404 or 405.
    pub async fn respond(&self, request: &Request) -> Response {
        // async-h1 leaves the body out of a HEAD response but keeps its length.
        if !matches!(request.method(), Method::Get | Method::Head) {
            let mut response = text_response(StatusCode::MethodNotAllowed, "only GET and HEAD\n");
            response.insert_header("Allow", "GET, HEAD");
            return response;
        }
        let Some(path) = self.resolve(request.url().path()).await else {
            return text_response(StatusCode::NotFound, "not found\n");
        };
        let Ok(metadata) = smol::fs::metadata(&path).await else {
            return text_response(StatusCode::NotFound, "not found\n");
        };
        if metadata.is_dir() {
            return match self.listing(&path).await {
                Ok(text) => text_response(StatusCode::Ok, &text),
                Err(_) => text_response(StatusCode::NotFound, "not found\n"),
            };
        }
        let mut response = Response::new(StatusCode::Ok);
        if let Some(mime) = path.extension().and_then(|e| e.to_str()).and_then(Mime::from_extension) {
            response.set_content_type(mime);
        }
        let len = usize::try_from(metadata.len()).ok();
        match smol::fs::File::open(&path).await {
            Ok(file) => {
                response.set_body(Body::from_reader(smol::io::BufReader::new(file), len));
                response
            }
            Err(_) => text_response(StatusCode::NotFound, "not found\n"),
        }
    }

    async fn listing(&self, dir: &Path) -> io::Result<String> {
        let dir = dir.to_owned();
        smol::unblock(move || {
            let mut names: Vec<String> = std::fs::read_dir(&dir)?
                .filter_map(Result::ok)
                .map(|entry| {
                    let mut name = entry.file_name().to_string_lossy().into_owned();
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        name.push('/');
                    }
                    name
                })
                .collect();
            names.sort();
            Ok(names.iter().map(|n| format!("{n}\n")).collect())
        })
        .await
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn refuses_escapes_from_the_root() {
        assert_eq!(relative_path("/a/./b.txt"), Some(PathBuf::from("a/b.txt")));
        assert_eq!(relative_path("/"), Some(PathBuf::new()));
        assert_eq!(relative_path("/caf%C3%A9"), Some(PathBuf::from("café")));
        for refused in [
            "/../etc/passwd",
            "/a/%2e%2e/%2E%2E/x",
            "/a%2f..%2fb",
            "/a\\..\\b",
            "/a%00",
            "/%zz",
            "/%c3",
        ] {
            assert_eq!(relative_path(refused), None, "{refused}");
        }
    }
}
