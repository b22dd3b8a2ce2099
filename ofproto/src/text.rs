//! The `ovs-ofctl` text syntax (to be filled in).
