//! Flow files as ovs-ofctl reads them (`ds_get_preprocessed_line`): `#` starts a comment,
//! lines that are blank after that are skipped, line numbers count every line. `-` is stdin.

use super::OfctlError;
use std::io::Read;

/// One flow line of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowLine {
    /// 1-based line number in the file.
    pub number: usize,
    /// The text, comment removed.
    pub text: String,
}

impl FlowLine {
    /// `FILE:LINE`, for messages.
    pub fn place(&self, path: &str) -> String {
        format!("{path}:{}", self.number)
    }
}

/// Reads the flow lines of `path` (`-` for stdin).
pub fn read_flow_lines(path: &str) -> Result<Vec<FlowLine>, OfctlError> {
    let io = |error| OfctlError::Io {
        path: path.to_owned(),
        error,
    };
    let mut text = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut text).map_err(io)?;
    } else {
        text = std::fs::read_to_string(path).map_err(io)?;
    }
    Ok(flow_lines(&text))
}

/// The flow lines of a file's contents.
pub fn flow_lines(text: &str) -> Vec<FlowLine> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = match line.find('#') {
                Some(c) => &line[..c],
                None => line,
            };
            let blank = line.trim_matches([' ', '\t', '\n', '\r']).is_empty();
            (!blank).then(|| FlowLine {
                number: i + 1,
                text: line.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped_numbers_kept() {
        let l =
            flow_lines("# head\n\npriority=1 actions=drop # tail\n  \t\nin_port=1,actions=drop\n");
        assert_eq!(
            l,
            [
                FlowLine {
                    number: 3,
                    text: "priority=1 actions=drop ".into()
                },
                FlowLine {
                    number: 5,
                    text: "in_port=1,actions=drop".into()
                }
            ]
        );
    }
}
