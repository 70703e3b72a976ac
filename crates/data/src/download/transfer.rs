//! HTTP transfers of the downloader (blocking `ureq`), with errors sorted into what a retry can
//! fix and what it cannot.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::http::Response;

use crate::DataError;

/// Bytes read per chunk while streaming a file (also the progress-report granularity).
const CHUNK_BYTES: usize = 256 * 1024;
/// A `.CHECKSUM` file is one line; anything bigger is not one.
const MAX_CHECKSUM_BYTES: u64 = 64 * 1024;

/// Why one HTTP operation failed.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// HTTP 404 or 410: the archive has no such file.
    NotFound,
    /// Any other non-success HTTP status.
    Status(u16),
    /// No connection could be made: name resolution failed, connection refused, network or
    /// host unreachable, connect timeout.
    Unreachable(String),
    /// A connection was made but the exchange broke (reset, read timeout, truncated body,
    /// malformed HTTP).
    Transfer(String),
    /// Fails the same way every time (TLS, invalid URL, redirect loop).
    Permanent(String),
    /// The local file system failed: the whole download stops.
    Local(DataError),
}

impl FetchError {
    /// Worth another attempt after a backoff.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            // 408 request timeout, 425 too early, 429 too many requests, 5xx server errors.
            Self::Status(code) => matches!(code, 408 | 425 | 429 | 500..=599),
            Self::Unreachable(_) | Self::Transfer(_) => true,
            Self::NotFound | Self::Permanent(_) | Self::Local(_) => false,
        }
    }

    /// The server answered, so the host is reachable.
    pub(crate) fn reached_host(&self) -> bool {
        matches!(self, Self::NotFound | Self::Status(_))
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Self::NotFound => "not found (HTTP 404)".to_owned(),
            Self::Status(code) => format!("HTTP status {code}"),
            Self::Unreachable(message) => format!("host unreachable: {message}"),
            Self::Transfer(message) => format!("transfer failed: {message}"),
            Self::Permanent(message) => message.clone(),
            Self::Local(error) => error.to_string(),
        }
    }
}

fn is_name_resolution_failure(error: &io::Error) -> bool {
    // std reports getaddrinfo failures as uncategorized errors; their text is stable.
    let text = error.to_string().to_ascii_lowercase();
    text.contains("lookup address")
        || text.contains("name or service not known")
        || text.contains("name resolution")
        || text.contains("nodename nor servname")
        || text.contains("no such host")
}

fn classify(error: ureq::Error) -> FetchError {
    match error {
        ureq::Error::StatusCode(404 | 410) => FetchError::NotFound,
        ureq::Error::StatusCode(code) => FetchError::Status(code),
        ureq::Error::HostNotFound => FetchError::Unreachable("host name not found".to_owned()),
        ureq::Error::ConnectionFailed => FetchError::Unreachable("connection failed".to_owned()),
        ureq::Error::Timeout(timeout @ (ureq::Timeout::Resolve | ureq::Timeout::Connect)) => {
            FetchError::Unreachable(format!("{timeout:?} timeout"))
        }
        ureq::Error::Timeout(timeout) => FetchError::Transfer(format!("{timeout:?} timeout")),
        ureq::Error::Io(io_error) => classify_io(io_error),
        ureq::Error::Protocol(protocol) => FetchError::Transfer(protocol.to_string()),
        other => FetchError::Permanent(other.to_string()),
    }
}

fn classify_io(error: io::Error) -> FetchError {
    use io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::NetworkDown
        | ErrorKind::AddrNotAvailable => FetchError::Unreachable(error.to_string()),
        _ if is_name_resolution_failure(&error) => FetchError::Unreachable(error.to_string()),
        _ => FetchError::Transfer(error.to_string()),
    }
}

fn check_status(response: &Response<ureq::Body>) -> Result<(), FetchError> {
    match response.status().as_u16() {
        200..=299 => Ok(()),
        404 | 410 => Err(FetchError::NotFound),
        code => Err(FetchError::Status(code)),
    }
}

fn header_length(response: &Response<ureq::Body>) -> Option<u64> {
    response
        .headers()
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse().ok())
}

/// The body is transformed by the transport (ureq decodes gzip/brotli bodies); we ask for
/// `identity`, so this only happens with a misbehaving server.
fn is_content_encoded(response: &Response<ureq::Body>) -> bool {
    response
        .headers()
        .get("content-encoding")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| !value.trim().eq_ignore_ascii_case("identity"))
}

/// Timeouts and proxy use of the HTTP client.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HttpOptions {
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
    pub read_timeout: Duration,
    pub use_environment_proxy: bool,
}

/// A blocking HTTP client for archive files.
#[derive(Debug)]
pub(crate) struct Http {
    agent: ureq::Agent,
}

impl Http {
    pub(crate) fn new(options: HttpOptions) -> Self {
        let proxy = if options.use_environment_proxy {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_recv_response(Some(options.response_timeout))
            .timeout_per_read(Some(options.read_timeout))
            // Archive files are already compressed: take their bytes as they are.
            .accept_encoding("identity")
            .proxy(proxy)
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// A small text file (a `.CHECKSUM`).
    pub(crate) fn get_text(&self, url: &str) -> Result<String, FetchError> {
        let mut response = self.agent.get(url).call().map_err(classify)?;
        check_status(&response)?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_CHECKSUM_BYTES)
            .read_to_string()
            .map_err(classify)
    }

    /// The size the server announces for `url` (a `HEAD` request).
    pub(crate) fn head_length(&self, url: &str) -> Result<Option<u64>, FetchError> {
        let response = self.agent.head(url).call().map_err(classify)?;
        check_status(&response)?;
        Ok(header_length(&response))
    }

    /// Streams `url` into `part_path` (created or truncated), hashing as it goes. Returns the
    /// byte count and SHA-256. `progress(received, total)` follows every chunk. The caller
    /// removes the part file on error.
    pub(crate) fn get_to_file(
        &self,
        url: &str,
        part_path: &Path,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<(u64, [u8; 32]), FetchError> {
        let response = self.agent.get(url).call().map_err(classify)?;
        check_status(&response)?;
        let encoded = is_content_encoded(&response);
        let total = header_length(&response).filter(|_| !encoded);
        let mut reader = response.into_body().into_reader();
        let local = |error| FetchError::Local(DataError::io(part_path, error));
        let file = File::create(part_path).map_err(local)?;
        let mut writer = BufWriter::with_capacity(CHUNK_BYTES, file);
        let mut hasher = Sha256::new();
        let mut buffer = vec![0_u8; CHUNK_BYTES];
        let mut received: u64 = 0;
        progress(0, total);
        loop {
            let count = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(count) => count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(FetchError::Transfer(error.to_string())),
            };
            hasher.update(&buffer[..count]);
            writer.write_all(&buffer[..count]).map_err(local)?;
            received += count as u64;
            progress(received, total);
        }
        if let Some(expected) = total
            && expected != received
        {
            return Err(FetchError::Transfer(format!(
                "truncated body: {received} of {expected} bytes"
            )));
        }
        let file = writer
            .into_inner()
            .map_err(|error| local(error.into_error()))?;
        // Durable before the rename makes it visible (never a half-written file).
        file.sync_all().map_err(local)?;
        Ok((received, hasher.finalize().into()))
    }
}

/// SHA-256 of a local file, `None` if it cannot be read.
pub(crate) fn sha256_of_file(path: &Path) -> Option<[u8; 32]> {
    let mut file = File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; CHUNK_BYTES];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => hasher.update(&buffer[..count]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    Some(hasher.finalize().into())
}

/// Lower-case hex of a digest.
pub(crate) fn to_hex(digest: &[u8; 32]) -> String {
    digest
        .iter()
        .fold(String::with_capacity(64), |mut text, byte| {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 0x0f)]));
            text
        })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The SHA-256 of a Binance `.CHECKSUM` file (`<64 hex digits>  <file name>`), lower-cased.
pub(crate) fn parse_checksum(text: &str) -> Option<String> {
    let token = text.split_whitespace().next()?;
    (token.len() == 64 && token.bytes().all(|byte| byte.is_ascii_hexdigit()))
        .then(|| token.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn checksum_parsing_never_panics(text in ".*", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_checksum(&text);
            let lossy = String::from_utf8_lossy(&bytes);
            if let Some(hash) = parse_checksum(&lossy) {
                prop_assert_eq!(hash.len(), 64);
            }
        }
    }

    #[test]
    fn checksum_files_parse_to_lower_hex() {
        let text = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855  \
                    BTCUSDT-trades-2024-08-08.zip\n";
        assert_eq!(
            parse_checksum(text).as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(parse_checksum("<Error>NoSuchKey</Error>"), None);
        assert_eq!(parse_checksum(""), None);
    }

    #[test]
    fn digests_print_as_the_standard_sha256_of_empty_input() {
        // SHA-256("") = e3b0c442...b855 (FIPS 180-4 test vector).
        let digest: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(
            to_hex(&digest),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn errors_are_sorted_by_whether_a_retry_helps() {
        assert!(FetchError::Status(503).is_retryable());
        assert!(FetchError::Status(429).is_retryable());
        assert!(!FetchError::Status(403).is_retryable());
        assert!(!FetchError::NotFound.is_retryable());
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(classify_io(refused), FetchError::Unreachable(_)));
        let lookup =
            io::Error::other("failed to lookup address information: Name or service not known");
        assert!(matches!(classify_io(lookup), FetchError::Unreachable(_)));
        let reset = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        assert!(matches!(classify_io(reset), FetchError::Transfer(_)));
    }
}
