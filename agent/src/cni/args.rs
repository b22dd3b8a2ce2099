//! `CNI_ARGS` (`K1=V1;K2=V2`) and the spec's rules for names.

use std::collections::BTreeMap;

/// `CNI_ARGS` key of the Kubernetes pod name (the endpoint's container name).
pub const K8S_POD_NAME: &str = "K8S_POD_NAME";
/// The pod's Kubernetes namespace (its tenant with `netplugin.tenantFromNamespace`).
pub const K8S_POD_NAMESPACE: &str = "K8S_POD_NAMESPACE";
/// `CNI_ARGS` key of the tenant.
pub const TENANT: &str = "io.contiv.tenant";
/// `CNI_ARGS` key of the network.
pub const NETWORK: &str = "io.contiv.network";
/// `CNI_ARGS` key of the endpoint group.
pub const GROUP: &str = "io.contiv.net-group";
/// `CNI_ARGS` key of the container name (for runtimes other than Kubernetes).
pub const CONTAINER: &str = "container";

/// A part of `CNI_ARGS` that is not `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CniArgsError {
    /// No `=`.
    #[error("CNI_ARGS: {0:?} is not KEY=VALUE")]
    NotKeyValue(String),
    /// Nothing before the `=`.
    #[error("CNI_ARGS: empty key in {0:?}")]
    EmptyKey(String),
}

/// Parses `CNI_ARGS`: `;`-separated `KEY=VALUE` pairs (empty parts are skipped).
pub fn parse_cni_args(s: &str) -> Result<BTreeMap<String, String>, CniArgsError> {
    let mut map = BTreeMap::new();
    for part in s.split(';').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| CniArgsError::NotKeyValue(part.to_string()))?;
        if k.is_empty() {
            return Err(CniArgsError::EmptyKey(part.to_string()));
        }
        map.insert(k.to_string(), v.to_string());
    }
    Ok(map)
}

/// The spec's rule for container ids and network names: an alphanumeric character, then
/// alphanumerics, `_`, `.` or `-`.
pub fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The spec's (and the kernel's) rule for interface names.
pub fn valid_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cni_args() {
        let m = parse_cni_args("IgnoreUnknown=1;K8S_POD_NAME=web-0;io.contiv.tenant=t1").unwrap();
        assert_eq!(m[K8S_POD_NAME], "web-0");
        assert_eq!(m[TENANT], "t1");
        assert!(parse_cni_args("").unwrap().is_empty());
        assert!(parse_cni_args("a=1;;b=").unwrap().contains_key("b"));
        assert!(parse_cni_args("novalue").is_err());
    }

    #[test]
    fn names() {
        assert!(valid_name("abc-1.2_3"));
        assert!(!valid_name(""));
        assert!(!valid_name("-x"));
        assert!(!valid_name("a b"));
        assert!(valid_ifname("eth0"));
        assert!(!valid_ifname("a/b"));
        assert!(!valid_ifname("0123456789abcdef"));
        assert!(!valid_ifname(".."));
    }
}
