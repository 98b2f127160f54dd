//! The lexical helpers of OVS's action parser: the `key[:=(]value` splitter
//! (`ofputil_parse_key_value` in `lib/ofp-parse.c`), C-style numbers (`str_to_u16`,
//! `str_to_u32`, `str_to_u64`, `atoi`) and dotted hex bytes (`ofpbuf_put_hex`).

/// Splits the next `key` / `key:value` / `key=value` / `key(value)` item off `s`, skipping
/// leading commas and white space, exactly as `ofputil_parse_key_value` does: a `:`/`=` value
/// ends at white space or a comma outside parentheses; a `(` value ends at the matching `)`
/// (and `(x)->y` keeps the `->y` tail, for `check_pkt_larger(N)->dst`). Returns `None` at the
/// end of the input.
pub(crate) fn next_kv<'a>(s: &mut &'a str) -> Option<(&'a str, &'a str)> {
    let rest = s.trim_start_matches([',', ' ', '\t', '\r', '\n']);
    if rest.is_empty() {
        *s = rest;
        return None;
    }
    let key_len = rest
        .find([':', '=', '(', ',', ' ', '\t', '\r', '\n'])
        .unwrap_or(rest.len());
    let key = &rest[..key_len];
    let delim = rest[key_len..].chars().next();
    let after = match delim {
        Some(c) => &rest[key_len + c.len_utf8()..],
        None => "",
    };
    let value_end: &[char] = match delim {
        Some(':') | Some('=') => &[',', ' ', '\t', '\r', '\n'],
        Some('(') => &[')'],
        _ => {
            *s = after;
            return Some((key, ""));
        }
    };
    let mut len = value_len(after, value_end);
    if delim == Some('(') && after[len..].starts_with(")->") {
        len += value_len(&after[len..], &[',', ' ', '\t', '\r', '\n']);
    }
    let value = &after[..len];
    let tail = &after[len..];
    // Step over the delimiter that ended the value, if any.
    *s = match tail.chars().next() {
        Some(c) => &tail[c.len_utf8()..],
        None => tail,
    };
    Some((key, value))
}

/// Length of the value at the start of `s`: up to the first delimiter outside parentheses
/// (`parse_value`).
fn value_len(s: &str, delims: &[char]) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    while n < b.len() && !delims.contains(&(b[n] as char)) {
        if b[n] == b'(' {
            let mut level = 0usize;
            loop {
                match b.get(n) {
                    None => return n,
                    Some(b'(') => level += 1,
                    Some(b')') => level = level.saturating_sub(1),
                    _ => {}
                }
                n += 1;
                if level == 0 {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// `strtoull(s, &tail, 0)` with a complete-string requirement: decimal, `0x` hex or
/// leading-zero octal, with an optional leading `+`.
pub(crate) fn c_u64(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `str_to_u32`: `strtoul` truncated to 32 bits (as OVS does on 64-bit hosts).
pub(crate) fn c_u32(s: &str) -> Option<u32> {
    c_u64(s).map(|v| v as u32)
}

/// `str_to_u16` / `str_to_int`: a C integer that must be in 0..=65535.
pub(crate) fn c_u16(s: &str) -> Option<u16> {
    c_int(s).and_then(|v| u16::try_from(v).ok())
}

/// `str_to_u8`: a C integer that must be in 0..=255.
pub(crate) fn c_u8(s: &str) -> Option<u8> {
    c_int(s).and_then(|v| u8::try_from(v).ok())
}

/// `str_to_int(s, 0, ..)`: a C `int` literal (sign, decimal, hex, octal), whole string.
fn c_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = c_u64(body)?;
    if v > i32::MAX as u64 {
        return None;
    }
    Some(if neg { -(v as i64) } else { v as i64 })
}

/// C `atoi`: leading white space, optional sign, then as many decimal digits as there are;
/// anything else yields 0. The result is truncated like a C `int` stored into `u16`/`u32`.
pub(crate) fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in body.bytes().take_while(|b| b.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    let v = if neg { -v } else { v };
    v as i32 as i64
}

/// `ofpbuf_put_hex`: pairs of hex digits, separated by any of ` .\t\r\n`. Returns `None` if
/// anything else is left (a lone digit or a non-hex character).
pub(crate) fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'.' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i == b.len() {
            return Some(out);
        }
        let hi = (*b.get(i)? as char).to_digit(16)?;
        let lo = (*b.get(i + 1)? as char).to_digit(16)?;
        out.push((hi << 4 | lo) as u8);
        i += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(mut s: &str) -> Vec<(&str, &str)> {
        let mut v = Vec::new();
        while let Some(kv) = next_kv(&mut s) {
            v.push(kv);
        }
        v
    }

    #[test]
    fn splits_like_ofputil_parse_key_value() {
        assert_eq!(
            all("output:1, resubmit(,5),ct(commit,exec(load:1->reg0[])),drop"),
            vec![
                ("output", "1"),
                ("resubmit", ",5"),
                ("ct", "commit,exec(load:1->reg0[])"),
                ("drop", "")
            ]
        );
        assert_eq!(
            all("check_pkt_larger(1500)->NXM_NX_REG0[0],2"),
            vec![("check_pkt_larger", "1500)->NXM_NX_REG0[0]"), ("2", "")]
        );
        assert_eq!(
            all("NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]"),
            vec![("NXM_OF_ETH_DST[]", "NXM_OF_ETH_SRC[]")]
        );
        assert_eq!(all("  ,, "), vec![]);
    }

    #[test]
    fn numbers_like_c() {
        assert_eq!(c_u64("0x10"), Some(16));
        assert_eq!(c_u64("010"), Some(8));
        assert_eq!(c_u64("12a"), None);
        assert_eq!(c_u16("65536"), None);
        assert_eq!(c_u32("4294967296"), Some(0));
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("x"), 0);
        assert_eq!(hex_bytes("01.02 0a"), Some(vec![1, 2, 10]));
        assert_eq!(hex_bytes("1"), None);
    }
}
