#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod annotation;
pub mod b3;
pub mod clock;
pub mod context;
pub mod endpoint;
pub mod id;
pub mod json;
pub mod recorder;
pub mod sampler;
pub mod scribe;
pub mod sink;
pub mod span;
pub mod thrift;

pub use annotation::{Annotation, BinaryAnnotation, Event, Value};
pub use b3::{B3Error, Extracted};
pub use clock::Clock;
pub use context::{Sampling, SpanContext};
pub use endpoint::Endpoint;
pub use id::{HexId, IdError, SpanId, TraceId};
pub use recorder::{Recorder, RecorderStats};
pub use sampler::Sampler;
pub use sink::{EncodeError, Sink};
pub use span::{Span, SpanData, SpanFull};
pub use thrift::decode::{DecodeError, DecodedSpan};
