//! The `tryfer-sink` command line, read by hand: `--flag value` or `--flag=value`, one meaning per flag.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use super::{SinkOptions, DEFAULT_PORT};

/// What `tryfer-sink --help` prints.
pub const USAGE: &str = "\
tryfer-sink: receive Zipkin spans over Scribe and show them (what a board sends, on your laptop)

usage: tryfer-sink [options]

  --port PORT            Scribe port to listen on (default 9410; 0 picks a free one)
  --bind ADDR            address to listen on (default 127.0.0.1; 0.0.0.0 to let boards reach it)
  --json-lines           print one JSON object per span per line (the original tryfer's debug JSON)
                         instead of the live trace tree
  --tree-delay MS        print a trace once it has been quiet this long (default 1000)
  --bar-width N          width of the duration bars in the tree (default 40)
  --forward URL          also post every span as Zipkin v2 JSON to a collector,
                         e.g. http://127.0.0.1:9411/api/v2/spans
  --max-frame BYTES      largest Scribe frame accepted (default 4194304)
  --max-spans N          most spans in one Log call (default 10000)
  --max-connections N    most connections at once (default 64)
  --idle-timeout SECS    close connections idle this long (default: never)
  -v, --verbose          log every bad frame and connection (default: the first problem per connection)
  -h, --help             print this text

The listening address is printed on stderr as `listening on ADDR`. Spans go to stdout.
";

/// How spans are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One debug-JSON object per span per line.
    JsonLines,
    /// Traces as indented trees with duration bars.
    Tree,
}

/// The parsed command line of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkArgs {
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port to listen on.
    pub port: u16,
    /// How spans are shown.
    pub output: Output,
    /// Quiet time before a trace's tree is printed.
    pub tree_delay: Duration,
    /// Width of the tree's duration bars.
    pub bar_width: usize,
    /// Zipkin HTTP collector to forward spans to.
    pub forward: Option<String>,
    /// The sink's limits.
    pub options: SinkOptions,
    /// Log every problem and connection.
    pub verbose: bool,
}

impl Default for SinkArgs {
    fn default() -> Self {
        SinkArgs {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            output: Output::Tree,
            tree_delay: Duration::from_millis(1000),
            bar_width: 40,
            forward: None,
            options: SinkOptions::default(),
            verbose: false,
        }
    }
}

impl SinkArgs {
    /// The socket address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the sink.
    Run(SinkArgs),
    /// Print [`USAGE`] and exit.
    Help,
}

/// A command line that cannot be run, with a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError(String);

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgsError {}

/// The options that take a value.
const VALUED: [&str; 9] = [
    "--port",
    "--bind",
    "--tree-delay",
    "--bar-width",
    "--forward",
    "--max-frame",
    "--max-spans",
    "--max-connections",
    "--idle-timeout",
];

/// Parses a flag's value, naming the flag in the error.
fn value<T: FromStr>(flag: &str, text: &str, what: &str) -> Result<T, ArgsError> {
    text.parse()
        .map_err(|_| ArgsError(format!("{flag} wants {what}, got {text:?}")))
}

/// A count that must be at least 1.
fn positive(flag: &str, text: &str) -> Result<usize, ArgsError> {
    match value::<usize>(flag, text, "a positive number")? {
        0 => Err(ArgsError(format!("{flag} must be at least 1"))),
        n => Ok(n),
    }
}

/// Reads the arguments after the program name.
///
/// ```
/// use tryfer_smol::sink::args::{parse, Command, Output};
/// let Ok(Command::Run(args)) = parse(["--json-lines", "--port=0"].map(String::from)) else { panic!() };
/// assert_eq!((args.output, args.port), (Output::JsonLines, 0));
/// assert!(parse(["--port", "99999"].map(String::from)).is_err());
/// ```
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, ArgsError> {
    let mut parsed = SinkArgs::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, v)) if flag.starts_with("--") => (flag.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let switch = matches!(flag.as_str(), "-h" | "--help" | "--json-lines" | "-v" | "--verbose");
        let takes_value = VALUED.contains(&flag.as_str());
        if !switch && !takes_value {
            return Err(ArgsError(format!("unknown option {flag:?} (try --help)")));
        }
        let text = if takes_value {
            match inline.or_else(|| args.next()) {
                Some(v) => v,
                None => return Err(ArgsError(format!("{flag} needs a value"))),
            }
        } else if inline.is_some() {
            return Err(ArgsError(format!("{flag} takes no value")));
        } else {
            String::new()
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--json-lines" => parsed.output = Output::JsonLines,
            "-v" | "--verbose" => parsed.verbose = true,
            "--port" => parsed.port = value(&flag, &text, "a port number (0 to 65535)")?,
            "--bind" => parsed.bind = value(&flag, &text, "an IP address such as 127.0.0.1 or 0.0.0.0")?,
            "--tree-delay" => parsed.tree_delay = Duration::from_millis(value(&flag, &text, "milliseconds")?),
            "--bar-width" => parsed.bar_width = positive(&flag, &text)?.min(400),
            "--forward" => parsed.forward = Some(text),
            "--max-frame" => parsed.options.max_frame = positive(&flag, &text)?,
            "--max-spans" => parsed.options.max_spans_per_call = positive(&flag, &text)?,
            "--max-connections" => parsed.options.max_connections = positive(&flag, &text)?,
            "--idle-timeout" => parsed.options.idle_timeout = Some(Duration::from_secs(positive(&flag, &text)? as u64)),
            _ => return Err(ArgsError(format!("unknown option {flag:?} (try --help)"))),
        }
    }
    Ok(Command::Run(parsed))
}
