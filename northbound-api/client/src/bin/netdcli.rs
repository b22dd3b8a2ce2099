//! `netdcli`: the original netplugin's name for the intent uploader (`netdcli -cfg FILE`); the
//! same program as `netctl` (see `northbound_client::netctl`).

fn main() -> std::process::ExitCode {
    northbound_client::netctl::main("netdcli")
}
