use thiserror::Error;

/// Errors raised while building core values from untrusted input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TypesError {
    #[error("empty decimal string")]
    EmptyDecimal,
    #[error("invalid character {found:?} in decimal string {input:?}")]
    InvalidDecimal { input: String, found: char },
    #[error("decimal {input:?} has more than {max} significant fractional digits")]
    TooPrecise { input: String, max: u8 },
    #[error("decimal {input:?} overflows the fixed-point range")]
    Overflow { input: String },
    #[error("arithmetic overflow in {operation}")]
    ArithmeticOverflow { operation: &'static str },
    #[error("unknown {what}: {value:?}")]
    UnknownName { what: &'static str, value: String },
}
