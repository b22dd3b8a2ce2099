//! Names the agent derives: the host ends of container veths (from the endpoint key), the
//! default datapath id (from the host label), and the path of ovsdb-server's socket (from an
//! OVSDB target).

/// Prefix of the host ends of container veths.
pub const HOST_IFNAME_PREFIX: &str = "vnp";

/// 64-bit FNV-1a.
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The host end's name for endpoint `key`: `vnp` + 12 hex digits of its hash (15 characters,
/// the kernel's limit).
pub fn host_ifname(key: &str) -> String {
    format!(
        "{HOST_IFNAME_PREFIX}{:012x}",
        fnv1a(key.as_bytes()) & 0xffff_ffff_ffff
    )
}

/// A datapath id derived from the host label (when `--dpid` is not given): 48 bits, never 0.
pub fn default_dpid(host_label: &str) -> u64 {
    (fnv1a(host_label.as_bytes()) & 0xffff_ffff_ffff).max(1)
}

/// Strips an optional `unix:` prefix from an OVSDB target.
pub fn ovsdb_path(target: &str) -> &str {
    target.strip_prefix("unix:").unwrap_or(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ifnames_fit_the_kernel_limit() {
        let n = host_ifname("default:myContainer1");
        assert_eq!(n.len(), 15);
        assert!(n.starts_with(HOST_IFNAME_PREFIX));
        assert_ne!(n, host_ifname("default:myContainer2"));
    }

    #[test]
    fn ovsdb_targets_become_paths() {
        assert_eq!(ovsdb_path("unix:/run/db.sock"), "/run/db.sock");
        assert_eq!(ovsdb_path("/run/db.sock"), "/run/db.sock");
    }
}
