//! Request signatures of both venues (HMAC-SHA256, lower-case hex):
//! - Binance USD-M: HMAC of the signed parameters (query string + body without `signature`),
//!   key `X-MBX-APIKEY`;
//! - Bybit v5 REST: HMAC of `timestamp + apiKey + recvWindow + (query string | JSON body)`,
//!   headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP`, `X-BAPI-RECV-WINDOW`, `X-BAPI-SIGN`;
//! - Bybit v5 private WebSocket auth: HMAC of `"GET/realtime" + expires`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex HMAC-SHA256 of `payload` under `secret` (what a client sends).
pub fn sign_hex(secret: &str, payload: &str) -> String {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(payload.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut text = String::with_capacity(digest.len() * 2);
    for byte in digest {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `signature` (hex, either case) is the HMAC of `payload`; compared in constant time.
pub fn verify_hex(secret: &str, payload: &str, signature: &str) -> bool {
    let Some(bytes) = decode_hex(signature) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(payload.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            u8::try_from(high << 4 | low).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Binance's documented example (USD-M futures "SIGNED Endpoint Examples").
    #[test]
    fn binance_documented_example_signature() {
        let secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        let payload = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000\
                       &timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
        let expected = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
        assert_eq!(sign_hex(secret, payload), expected);
        assert!(verify_hex(secret, payload, expected));
        assert!(verify_hex(secret, payload, &expected.to_uppercase()));
        assert!(!verify_hex(secret, payload, &expected.replace('3', "4")));
        assert!(!verify_hex(secret, payload, "xyz"));
    }

    /// RFC 4231 test case 2.
    #[test]
    fn rfc_4231_case_2() {
        assert_eq!(
            sign_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
