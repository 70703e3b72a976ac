//! Bybit v5 request signing: HMAC-SHA256, lower-case hex.
//!
//! * REST: `X-BAPI-SIGN = HMAC(secret, timestamp + apiKey + recvWindow + payload)`, payload =
//!   the query string of a GET, the JSON body of a POST (exactly the bytes sent).
//! * Private WebSocket auth: `HMAC(secret, "GET/realtime" + expires)`, `expires` in ms.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::credentials::Credentials;

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex HMAC-SHA256 of `payload` under `secret`.
pub fn hmac_sha256_hex(secret: &[u8], payload: &[u8]) -> String {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(payload);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// The `X-BAPI-SIGN` of a REST request.
pub fn rest_signature(
    credentials: &Credentials,
    timestamp_ms: u64,
    recv_window_ms: u64,
    payload: &str,
) -> String {
    let text = format!(
        "{timestamp_ms}{}{recv_window_ms}{payload}",
        credentials.api_key()
    );
    hmac_sha256_hex(credentials.secret(), text.as_bytes())
}

/// The signature of the private stream's `auth` op.
pub fn websocket_signature(credentials: &Credentials, expires_ms: u64) -> String {
    hmac_sha256_hex(
        credentials.secret(),
        format!("GET/realtime{expires_ms}").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently with Python's standard library:
    //   python3 -c 'import hmac,hashlib; print(hmac.new(b"test-secret-0123456789",
    //     b"<text>", hashlib.sha256).hexdigest())'
    // with <text> = "1709891679000" + "test-api-key" + "5000" + payload, and for the
    // WebSocket "GET/realtime1709891689000".
    const KEY: &str = "test-api-key";
    const SECRET: &str = "test-secret-0123456789";

    #[test]
    fn rest_get_signature_matches_python_hmac() {
        let credentials = Credentials::new(KEY, SECRET);
        assert_eq!(
            rest_signature(
                &credentials,
                1_709_891_679_000,
                5000,
                "category=linear&symbol=BTCUSDT"
            ),
            "a02d89d15933165385862f22c92fb412eb429f33c932d52d64a6726235a5fd60"
        );
    }

    #[test]
    fn rest_post_signature_matches_python_hmac() {
        let credentials = Credentials::new(KEY, SECRET);
        let body = r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"27450.5","timeInForce":"PostOnly","orderLinkId":"at-7","reduceOnly":false}"#;
        assert_eq!(
            rest_signature(&credentials, 1_709_891_679_000, 5000, body),
            "2b991fd3be5985d8e7559b3e89348b308c174f263307121f495bd460e8c7b542"
        );
    }

    #[test]
    fn websocket_auth_signature_matches_python_hmac() {
        let credentials = Credentials::new(KEY, SECRET);
        assert_eq!(
            websocket_signature(&credentials, 1_709_891_689_000),
            "2df4295ba8b660715fc9a12e654d606d6f61a644724226463e805ba07482a2e5"
        );
    }

    #[test]
    fn rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
