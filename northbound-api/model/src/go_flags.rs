//! The original netplugin's command lines: its Go binaries took long options with one dash
//! (`netplugin -host-label host1`, `netdcli -cfg FILE`, `-vtep-ip=10.0.0.1`), as Go's `flag`
//! package does. [`long_options`] rewrites those to clap's two-dash form before parsing, for
//! every long option a command (or any of its subcommands) has; everything else is left as it
//! is, so short options (`-t t1`) and bundles keep their meaning.

use std::collections::BTreeSet;

/// Every long option name (and long alias) of `command` and of its subcommands.
fn long_names(command: &clap::Command, names: &mut BTreeSet<String>) {
    for arg in command.get_arguments() {
        names.extend(arg.get_long().map(str::to_string));
        names.extend(
            arg.get_all_aliases()
                .into_iter()
                .flatten()
                .map(str::to_string),
        );
    }
    for sub in command.get_subcommands() {
        long_names(sub, names);
    }
}

/// `args` with every `-name` and `-name=value` whose `name` is a long option of `command`
/// written `--name`, up to a `--` (after which arguments are operands).
pub fn long_options(
    command: &clap::Command,
    args: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let mut names = BTreeSet::new();
    long_names(command, &mut names);
    let mut operands = false;
    args.into_iter()
        .map(|arg| {
            operands |= arg == "--";
            let name = arg
                .strip_prefix('-')
                .filter(|rest| !operands && !rest.starts_with('-'))
                .map(|rest| rest.split_once('=').map_or(rest, |(name, _)| name));
            match name {
                Some(name) if name.len() > 1 && names.contains(name) => format!("-{arg}"),
                _ => arg,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::long_options;
    use clap::{Arg, ArgAction, Command};

    fn command() -> Command {
        Command::new("netctl")
            .arg(Arg::new("cfg").long("cfg"))
            .arg(Arg::new("host-label").long("host-label").alias("host"))
            .subcommand(
                Command::new("network").subcommand(
                    Command::new("create")
                        .arg(Arg::new("tenant").short('t').long("tenant"))
                        .arg(Arg::new("quiet").short('q').action(ArgAction::SetTrue)),
                ),
            )
    }

    fn args(list: &[&str]) -> Vec<String> {
        long_options(&command(), list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn one_dash_long_options_get_two() {
        assert_eq!(
            args(&["netctl", "-cfg", "f.json", "-host-label=h1", "-host", "h2"]),
            [
                "netctl",
                "--cfg",
                "f.json",
                "--host-label=h1",
                "--host",
                "h2"
            ]
        );
        assert_eq!(
            args(&["netctl", "network", "create", "-tenant", "t1", "-t", "t2", "-q"]),
            ["netctl", "network", "create", "--tenant", "t1", "-t", "t2", "-q"]
        );
    }

    #[test]
    fn operands_unknown_names_and_two_dash_options_stay() {
        assert_eq!(
            args(&["netctl", "--cfg", "-", "-bogus", "--", "-cfg"]),
            ["netctl", "--cfg", "-", "-bogus", "--", "-cfg"]
        );
    }
}
