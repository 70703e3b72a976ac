//! Binance's signature of `SIGNED` endpoints: HMAC-SHA256 of the total parameter string keyed
//! by the API secret, as lower-case hex in the `signature` parameter.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The lower-case hex HMAC-SHA256 of `payload` keyed by `secret`.
pub fn sign(secret: &[u8], payload: &str) -> String {
    // RFC 2104: HMAC takes keys of any length (longer ones are hashed first), so this
    // constructor cannot fail for HMAC.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(payload.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0F)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Binance's USD-M API documentation ("SIGNED Endpoint Examples for POST
    /// /fapi/v1/order"), with its published signature.
    #[test]
    fn binance_documented_example() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1\
                     &recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            sign(secret.as_bytes(), query),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    /// RFC 4231 test case 2 (HMAC-SHA256, key "Jefe").
    #[test]
    fn rfc_4231_case_2() {
        assert_eq!(
            sign(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
