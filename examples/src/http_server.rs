//! The examples' HTTP server loop: async-h1 over smol TCP, one task per connection, every request through a
//! [`TracedService`].

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use http_types::{Request, Response};
use smol::Async;
use tryfer_smol::server::TracedService;

/// Listens on `address` (port 0 picks a free port); gives the listener and the address it got.
pub fn bind(address: SocketAddr) -> io::Result<(Async<TcpListener>, SocketAddr)> {
    let listener = Async::<TcpListener>::bind(address)?;
    let local = listener.get_ref().local_addr()?;
    Ok((listener, local))
}

/// A handler error as a response with its status and message (async-h1 would close the connection instead).
pub fn error_response(error: &http_types::Error) -> Response {
    let mut response = Response::new(error.status());
    response.set_body(format!("{error}\n"));
    response
}

/// Accepts connections forever, serving each on its own task through `service`.
pub async fn serve<H, Fut>(listener: Async<TcpListener>, service: Arc<TracedService<H>>)
where
    H: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http_types::Result<Response>> + Send + 'static,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // E.g. out of file descriptors: wait a little instead of spinning.
                log::warn!("accept failed: {e}");
                smol::Timer::after(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Responses are small: without this, each keep-alive response waits for the client's delayed ACK.
        if let Err(e) = stream.get_ref().set_nodelay(true) {
            log::debug!("TCP_NODELAY on a connection from {peer}: {e}");
        }
        let service = service.clone();
        smol::spawn(async move {
            let io = async_dup::Arc::new(stream);
            let served = async_h1::accept(io, move |request| {
                let service = service.clone();
                async move {
                    Ok(service
                        .handle(request, Some(peer))
                        .await
                        .unwrap_or_else(|e| error_response(&e)))
                }
            })
            .await;
            if let Err(e) = served {
                log::debug!("connection from {peer} ended: {e}");
            }
        })
        .detach();
    }
}
