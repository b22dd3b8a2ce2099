//! `netctl`: the command-line client of netmaster's REST API (see `northbound_client::netctl`).

fn main() -> std::process::ExitCode {
    northbound_client::netctl::main("netctl")
}
