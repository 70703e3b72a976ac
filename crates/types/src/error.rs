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
    /// A checked sum or product of sizes or money left the fixed-point range; `values`
    /// shows the operands (e.g. `"1.5 × 2"`).
    #[error("arithmetic overflow in {operation}: {values} is out of the fixed-point range")]
    ArithmeticOverflow {
        operation: &'static str,
        values: String,
    },
    #[error("unknown {what}: {value:?}")]
    UnknownName { what: &'static str, value: String },
}
