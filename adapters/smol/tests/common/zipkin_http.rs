//! A fake Zipkin HTTP collector on 127.0.0.1 (async-h1), scriptable post by post, that decodes every body (v2
//! JSON with serde_json, v1 Thrift with the core's list decoder) and counts exactly the spans it accepted.
//!
//! Answers are taken from the script in post order; once it is used up every post gets `202 Accepted`. Each
//! post is announced on [`ZipkinHttp::next_post`].

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_lite::future;
use http_types::{Request, Response};
use smol::net::{TcpListener, TcpStream};
use smol::Task;
use tryfer_core::thrift::decode::decode_binary_span_list;
use tryfer_core::SpanData;

/// What the collector does with one post.
#[derive(Debug)]
pub enum Reply {
    /// Answer with this status (2xx accepts the spans).
    Status(u16),
    /// Never answer.
    Stall,
    /// Close the connection without answering.
    Drop,
    /// Wait until the test sends on (or drops) the channel, then answer `202`.
    AcceptWhenReleased(async_channel::Receiver<()>),
}

/// One post as the collector saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The request path.
    pub path: String,
    /// The `Content-Type` header.
    pub content_type: String,
    /// The `b3` header, if any.
    pub b3: Option<String>,
    /// Span ids in the body, in order.
    pub span_ids: Vec<u64>,
    /// Why the body did not decode, if it did not.
    pub error: Option<String>,
    /// The status answered (0 when none was).
    pub status: u16,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Reply>>,
    acked: Mutex<Vec<u64>>,
    acked_posts: Mutex<u64>,
    connections: Mutex<u64>,
}

/// A running fake Zipkin HTTP collector.
pub struct ZipkinHttp {
    address: SocketAddr,
    state: Arc<State>,
    posts: async_channel::Receiver<Post>,
    _tasks: Arc<Mutex<Vec<Task<()>>>>,
}

impl ZipkinHttp {
    /// A collector on a fresh loopback port.
    pub async fn start() -> ZipkinHttp {
        ZipkinHttp::start_at("127.0.0.1:0".parse().unwrap()).await
    }

    /// A collector on `address`.
    pub async fn start_at(address: SocketAddr) -> ZipkinHttp {
        let listener = TcpListener::bind(address).await.expect("bind the HTTP collector");
        let address = listener.local_addr().expect("collector address");
        let state: Arc<State> = Arc::default();
        let (posts_tx, posts) = async_channel::unbounded();
        let tasks: Arc<Mutex<Vec<Task<()>>>> = Arc::default();
        let accept = {
            let state = state.clone();
            let tasks = tasks.clone();
            smol::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    *state.connections.lock().unwrap() += 1;
                    let task = smol::spawn(serve(stream, state.clone(), posts_tx.clone()));
                    tasks.lock().unwrap().push(task);
                }
            })
        };
        tasks.lock().unwrap().push(accept);
        ZipkinHttp {
            address,
            state,
            posts,
            _tasks: tasks,
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:9411`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Appends answers for the next posts.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    /// Ids of the spans accepted, in order.
    pub fn acked(&self) -> Vec<u64> {
        self.state.acked.lock().unwrap().clone()
    }

    /// How many spans were accepted.
    pub fn acked_count(&self) -> u64 {
        self.state.acked.lock().unwrap().len() as u64
    }

    /// How many posts were accepted.
    pub fn acked_posts(&self) -> u64 {
        *self.state.acked_posts.lock().unwrap()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> u64 {
        *self.state.connections.lock().unwrap()
    }

    /// The next post seen (waits for it).
    pub async fn next_post(&self) -> Post {
        self.posts.recv().await.expect("collector post channel")
    }

    /// Every post seen so far and not yet taken.
    pub fn seen_posts(&self) -> Vec<Post> {
        std::iter::from_fn(|| self.posts.try_recv().ok()).collect()
    }
}

/// Serves one connection until the client closes it or a [`Reply::Drop`] kills it.
async fn serve(stream: TcpStream, state: Arc<State>, posts: async_channel::Sender<Post>) {
    let (kill, killed) = async_channel::bounded::<()>(1);
    let served = async_h1::accept(stream, move |request| {
        let state = state.clone();
        let posts = posts.clone();
        let kill = kill.clone();
        async move { Ok(answer(request, &state, &posts, &kill).await) }
    });
    future::or(
        async {
            let _ = served.await;
        },
        async {
            let _ = killed.recv().await;
        },
    )
    .await;
}

async fn answer(
    mut request: Request,
    state: &State,
    posts: &async_channel::Sender<Post>,
    kill: &async_channel::Sender<()>,
) -> Response {
    let header = |name: &str| request.header(name).map(|v| v.last().as_str().to_owned());
    let mut post = Post {
        path: request.url().path().to_owned(),
        content_type: header("Content-Type").unwrap_or_default(),
        b3: header("b3"),
        span_ids: Vec::new(),
        error: None,
        status: 0,
    };
    match request.body_bytes().await {
        Ok(body) => match decode(&post.path, &body) {
            Ok(ids) => post.span_ids = ids,
            Err(e) => post.error = Some(e),
        },
        Err(e) => post.error = Some(e.to_string()),
    }
    let reply = state.script.lock().unwrap().pop_front().unwrap_or(Reply::Status(202));
    let status = match reply {
        Reply::Status(status) => status,
        Reply::AcceptWhenReleased(release) => {
            let _ = posts.send(post.clone()).await;
            let _ = release.recv().await;
            accept(state, &post.span_ids);
            return Response::new(202);
        }
        Reply::Stall => {
            let _ = posts.send(post).await;
            future::pending::<()>().await;
            unreachable!()
        }
        Reply::Drop => {
            let _ = posts.send(post).await;
            let _ = kill.try_send(());
            future::pending::<()>().await;
            unreachable!()
        }
    };
    let status = if post.error.is_some() { 400 } else { status };
    if (200..300).contains(&status) {
        accept(state, &post.span_ids);
    }
    post.status = status;
    let mut response = Response::new(status);
    if status == 400 {
        response.set_body(post.error.clone().unwrap_or_else(|| "bad spans".to_owned()));
    }
    let _ = posts.send(post).await;
    response
}

fn accept(state: &State, ids: &[u64]) {
    state.acked.lock().unwrap().extend_from_slice(ids);
    *state.acked_posts.lock().unwrap() += 1;
}

/// The span ids of a body, decoded as the path says.
fn decode(path: &str, body: &[u8]) -> Result<Vec<u64>, String> {
    match path {
        "/api/v2/spans" => {
            let spans: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            spans
                .iter()
                .map(|span| {
                    let id = span["id"].as_str().ok_or("a span without id")?;
                    u64::from_str_radix(id, 16).map_err(|e| e.to_string())
                })
                .collect()
        }
        "/api/v1/spans" => {
            let mut list = decode_binary_span_list::<64>(body).map_err(|e| e.to_string())?;
            let ids = list
                .by_ref()
                .map(|span| span.map(|s| s.id().get()).map_err(|e| e.to_string()))
                .collect();
            if !list.rest().is_empty() {
                return Err("bytes after the span list".to_owned());
            }
            ids
        }
        other => Err(format!("no spans at {other}")),
    }
}
