//! Kubernetes resource quantities (`resource.Quantity`) as used by `Egress.spec.bandwidth`
//! (`rate: 300k`, `burst: 2G`, `1Gi`, `1e6`).
//!
//! Grammar (`apimachinery/pkg/api/resource/quantity.go`): a decimal number followed by a
//! binary-SI suffix (`Ki Mi Gi Ti Pi Ei`), a decimal-SI suffix (`n u m k M G T P E` or none) or a
//! decimal exponent (`e3`, `E-2`). [`Quantity::value`] rounds up like `Quantity.Value()`;
//! Antrea divides the rate and burst values by 1000 to get kbps / kb.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parsed non-negative quantity, keeping its original spelling for round trips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    text: String,
    value: u64,
}

/// Why a string is not a quantity we accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not of the form number + suffix.
    #[error("{0:?} is not a quantity (expected e.g. 300k, 100M, 2G, 1Gi)")]
    Syntax(String),
    /// Negative values make no sense for bandwidth.
    #[error("{0:?} is negative")]
    Negative(String),
    /// Larger than 2^64-1.
    #[error("{0:?} is too large")]
    TooLarge(String),
}

impl Quantity {
    /// Parses a quantity string.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let syntax = || QuantityError::Syntax(text.to_string());
        let too_large = || QuantityError::TooLarge(text.to_string());
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_len);
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
            return Err(syntax());
        }
        let digits: String = int_part.chars().chain(frac_part.chars()).collect();
        let mantissa: u128 = digits.parse().map_err(|_| too_large())?;
        if negative && mantissa != 0 {
            return Err(QuantityError::Negative(text.to_string()));
        }
        let frac_digits = i32::try_from(frac_part.len()).map_err(|_| syntax())?;
        let (pow10, pow2): (i32, u32) = match suffix {
            "" => (0, 0),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            s if s.starts_with(['e', 'E']) => (s[1..].parse().map_err(|_| syntax())?, 0),
            _ => return Err(syntax()),
        };
        let scaled = mantissa.checked_shl(pow2).ok_or_else(too_large)?;
        if pow2 > 0 && scaled >> pow2 != mantissa {
            return Err(too_large());
        }
        let exp = pow10 - frac_digits;
        let value = if exp >= 0 {
            10u128
                .checked_pow(exp.unsigned_abs())
                .and_then(|p| scaled.checked_mul(p))
                .ok_or_else(too_large)?
        } else {
            match 10u128.checked_pow(exp.unsigned_abs()) {
                Some(p) => scaled.div_ceil(p),
                None => u128::from(scaled != 0),
            }
        };
        let value = u64::try_from(value).map_err(|_| too_large())?;
        Ok(Quantity {
            text: text.to_string(),
            value,
        })
    }

    /// The value rounded up to an integer (`Quantity.Value()`), e.g. bits per second.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML `rate: 1000` arrives as a number; Kubernetes accepts it too.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(u64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Int(n) => n.to_string(),
        };
        Quantity::parse(&text).map_err(serde::de::Error::custom)
    }
}
