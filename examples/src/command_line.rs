//! The examples' command lines: `--flag value` or `--flag=value`, checked before anything starts.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use tryfer_core::b3::Format;

/// What was wrong with a command line; printed with the usage text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The arguments after the program name, consumed flag by flag.
struct Words {
    words: VecDeque<String>,
}

/// One command-line word: a flag (with its `=value`, if written so) or a positional argument.
enum Word {
    Flag(String, Option<String>),
    Positional(String),
}

impl Words {
    fn new(args: impl IntoIterator<Item = String>) -> Self {
        Words {
            words: args.into_iter().collect(),
        }
    }

    fn next(&mut self) -> Option<Word> {
        let word = self.words.pop_front()?;
        Some(match word.strip_prefix("--") {
            Some(flag) => match flag.split_once('=') {
                Some((name, value)) => Word::Flag(name.to_owned(), Some(value.to_owned())),
                None => Word::Flag(flag.to_owned(), None),
            },
            None => Word::Positional(word),
        })
    }

    /// The value of `--flag`: the `=value` part, or the next word.
    fn value(&mut self, flag: &str, inline: Option<String>) -> Result<String, UsageError> {
        inline
            .or_else(|| self.words.pop_front())
            .ok_or_else(|| UsageError(format!("--{flag} needs a value")))
    }
}

fn no_value(flag: &str, inline: Option<String>) -> Result<(), UsageError> {
    match inline {
        Some(_) => Err(UsageError(format!("--{flag} takes no value"))),
        None => Ok(()),
    }
}

/// Resolves `HOST:PORT` (a name or an address) to its first socket address.
pub fn resolve(flag: &str, text: &str) -> Result<SocketAddr, UsageError> {
    text.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| UsageError(format!("--{flag} wants HOST:PORT, not {text:?}")))
}

/// `tracing-server`'s options.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerOptions {
    /// The port to listen on (`--port`, default 8080; 0 picks a free one).
    pub port: u16,
    /// The address to listen on (`--host`, default 127.0.0.1); it is also the endpoint on the spans.
    pub host: IpAddr,
    /// The service name on the spans (`--service`, default `tracing-server-example`).
    pub service: String,
    /// The directory served (`--dir`, default the current directory).
    pub dir: PathBuf,
    /// Print spans as one compact JSON object per line (`--json-lines`) instead of indented.
    pub json_lines: bool,
    /// Also ship spans to this Scribe collector (`--scribe HOST:PORT`).
    pub scribe: Option<SocketAddr>,
}

/// `tracing-server`'s usage text.
pub const SERVER_USAGE: &str =
    "usage: tracing-server [--port N] [--service NAME] [--host ADDR] [--dir DIR] [--json-lines] [--scribe HOST:PORT]";

impl ServerOptions {
    /// Reads the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, UsageError> {
        let mut options = ServerOptions {
            port: 8080,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            service: "tracing-server-example".to_owned(),
            dir: PathBuf::from("."),
            json_lines: false,
            scribe: None,
        };
        let mut words = Words::new(args);
        while let Some(word) = words.next() {
            match word {
                Word::Flag(flag, inline) => match flag.as_str() {
                    "port" => {
                        let text = words.value(&flag, inline)?;
                        options.port = text
                            .parse()
                            .map_err(|_| UsageError(format!("--port wants 0..65535, not {text:?}")))?;
                    }
                    "host" => {
                        let text = words.value(&flag, inline)?;
                        options.host = text
                            .parse()
                            .map_err(|_| UsageError(format!("--host wants an IP address, not {text:?}")))?;
                    }
                    "service" => options.service = words.value(&flag, inline)?,
                    "dir" => options.dir = PathBuf::from(words.value(&flag, inline)?),
                    "json-lines" => {
                        no_value(&flag, inline)?;
                        options.json_lines = true;
                    }
                    "scribe" => options.scribe = Some(resolve(&flag, &words.value(&flag, inline)?)?),
                    _ => return Err(UsageError(format!("unknown option --{flag}"))),
                },
                Word::Positional(arg) => return Err(UsageError(format!("unexpected argument {arg:?}"))),
            }
        }
        if options.service.is_empty() {
            return Err(UsageError("--service wants a name".to_owned()));
        }
        Ok(options)
    }
}

/// `tracing-client`'s options.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// The URL to GET.
    pub url: String,
    /// How B3 is sent (`--b3 multi|single`, default multi).
    pub b3: Format,
    /// Print spans as one compact JSON object per line (`--json-lines`) instead of indented.
    pub json_lines: bool,
    /// Also ship spans to this Scribe collector (`--scribe HOST:PORT`).
    pub scribe: Option<SocketAddr>,
    /// The service name on the client span (`--service`, default `tracing-client-example`).
    pub service: String,
}

/// `tracing-client`'s usage text.
pub const CLIENT_USAGE: &str =
    "usage: tracing-client URL [--b3 multi|single] [--json-lines] [--scribe HOST:PORT] [--service NAME]";

impl ClientOptions {
    /// Reads the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, UsageError> {
        let mut url = None;
        let mut b3 = Format::Multi;
        let mut json_lines = false;
        let mut scribe = None;
        let mut service = "tracing-client-example".to_owned();
        let mut words = Words::new(args);
        while let Some(word) = words.next() {
            match word {
                Word::Flag(flag, inline) => match flag.as_str() {
                    "b3" => {
                        b3 = match words.value(&flag, inline)?.as_str() {
                            "multi" => Format::Multi,
                            "single" => Format::Single,
                            other => return Err(UsageError(format!("--b3 wants multi or single, not {other:?}"))),
                        }
                    }
                    "json-lines" => {
                        no_value(&flag, inline)?;
                        json_lines = true;
                    }
                    "scribe" => scribe = Some(resolve(&flag, &words.value(&flag, inline)?)?),
                    "service" => service = words.value(&flag, inline)?,
                    _ => return Err(UsageError(format!("unknown option --{flag}"))),
                },
                Word::Positional(arg) if url.is_none() => url = Some(arg),
                Word::Positional(arg) => return Err(UsageError(format!("unexpected argument {arg:?}"))),
            }
        }
        let url = url.ok_or_else(|| UsageError("a URL is required".to_owned()))?;
        Ok(ClientOptions {
            url,
            b3,
            json_lines,
            scribe,
            service,
        })
    }
}

/// `demo`'s options.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Print spans indented like the original README (`--pretty`) instead of one JSON object per line.
    pub pretty: bool,
    /// Also ship spans to this Scribe collector (`--scribe HOST:PORT`).
    pub scribe: Option<SocketAddr>,
    /// Also ship spans to this Zipkin HTTP collector (`--zipkin URL`, e.g. `http://localhost:9411`).
    pub zipkin: Option<String>,
}

/// `demo`'s usage text.
pub const DEMO_USAGE: &str = "usage: demo [--pretty] [--scribe HOST:PORT] [--zipkin URL]";

impl DemoOptions {
    /// Reads the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, UsageError> {
        let mut options = DemoOptions {
            pretty: false,
            scribe: None,
            zipkin: None,
        };
        let mut words = Words::new(args);
        while let Some(word) = words.next() {
            match word {
                Word::Flag(flag, inline) => match flag.as_str() {
                    "pretty" => {
                        no_value(&flag, inline)?;
                        options.pretty = true;
                    }
                    "scribe" => options.scribe = Some(resolve(&flag, &words.value(&flag, inline)?)?),
                    "zipkin" => options.zipkin = Some(words.value(&flag, inline)?),
                    _ => return Err(UsageError(format!("unknown option --{flag}"))),
                },
                Word::Positional(arg) => return Err(UsageError(format!("unexpected argument {arg:?}"))),
            }
        }
        Ok(options)
    }
}

/// Parses the process's arguments with `parse`, or prints the problem and `usage` and exits with status 2.
pub fn parse_or_exit<T>(parse: impl FnOnce(Vec<String>) -> Result<T, UsageError>, usage: &str) -> T {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{usage}");
        std::process::exit(0);
    }
    match parse(args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\n{usage}");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn server_contract() {
        let o = ServerOptions::parse(words("--port 9000 --service Shop --json-lines --scribe 127.0.0.1:9410")).unwrap();
        assert_eq!((o.port, o.service.as_str(), o.json_lines), (9000, "Shop", true));
        assert_eq!(o.scribe, Some("127.0.0.1:9410".parse().unwrap()));
        let o = ServerOptions::parse(words("--port=0")).unwrap();
        assert_eq!(
            (o.port, o.service.as_str(), o.json_lines, o.scribe),
            (0, "tracing-server-example", false, None)
        );
        assert!(ServerOptions::parse(words("--port 70000")).is_err());
        assert!(ServerOptions::parse(words("--port")).is_err());
        assert!(ServerOptions::parse(words("--scribe nonsense")).is_err());
        assert!(ServerOptions::parse(words("--frobnicate")).is_err());
    }

    #[test]
    fn client_contract() {
        let o = ClientOptions::parse(words("http://localhost:8080/README.md --b3 single --json-lines")).unwrap();
        assert_eq!(
            (o.url.as_str(), o.b3, o.json_lines),
            ("http://localhost:8080/README.md", Format::Single, true)
        );
        let o = ClientOptions::parse(words("--b3=multi http://x/")).unwrap();
        assert_eq!((o.url.as_str(), o.b3, o.scribe), ("http://x/", Format::Multi, None));
        assert!(ClientOptions::parse(words("--b3 triple http://x/")).is_err());
        assert!(ClientOptions::parse(words("--json-lines")).is_err());
        assert!(ClientOptions::parse(words("http://x/ http://y/")).is_err());
    }

    #[test]
    fn demo_contract() {
        let o = DemoOptions::parse(words("--zipkin http://localhost:9411 --scribe 127.0.0.1:9410")).unwrap();
        assert_eq!(o.zipkin.as_deref(), Some("http://localhost:9411"));
        assert_eq!(o.scribe, Some("127.0.0.1:9410".parse().unwrap()));
        assert!(!o.pretty && DemoOptions::parse(words("--pretty")).unwrap().pretty);
        assert!(DemoOptions::parse(words("extra")).is_err());
    }
}
