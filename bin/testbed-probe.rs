//! `testbed-probe`: the testbed's TCP recorder (runs in the external host's namespace) and TCP
//! client (runs in a pod's namespace). std only, no features, so every test build has it.
//!
//! ```text
//! testbed-probe serve --port PORT --log FILE --ready FILE
//! testbed-probe connect IP:PORT [--timeout SECONDS]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ovs_egress::testbed::probe;

fn usage() -> ExitCode {
    eprintln!(
        "usage: testbed-probe serve --port PORT --log FILE --ready FILE\n       \
         testbed-probe connect IP:PORT [--timeout SECONDS]"
    );
    ExitCode::from(2)
}

/// The value following `--name` in `args`.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let (Some(port), Some(log), Some(ready)) = (
                option(&args, "--port").and_then(|p| p.parse::<u16>().ok()),
                option(&args, "--log"),
                option(&args, "--ready"),
            ) else {
                return usage();
            };
            match probe::serve(port, &PathBuf::from(log), &PathBuf::from(ready)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("testbed-probe serve: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("connect") => {
            let Some(addr) = args.get(1).and_then(|a| a.parse::<SocketAddr>().ok()) else {
                return usage();
            };
            let secs = option(&args, "--timeout")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(10);
            match probe::connect(addr, Duration::from_secs(secs)) {
                Ok(answer) => {
                    println!("{answer}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("testbed-probe connect {addr}: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => usage(),
    }
}
