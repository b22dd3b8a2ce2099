//! Where `--store` says the store is: a redb file, or an etcd cluster.

use std::path::PathBuf;
use std::str::FromStr;

/// The value of `--store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A redb file.
    File(PathBuf),
    /// etcd members' client addresses (`etcd://h1:2379,h2:2379`), as URLs.
    Etcd(Vec<String>),
}

/// Why a `--store` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// `etcd://` without a member.
    #[error("etcd:// names no member (etcd://HOST:PORT[,HOST:PORT...])")]
    NoMember,
    /// A member that is not HOST:PORT.
    #[error("etcd member `{0}` is not HOST:PORT")]
    BadMember(String),
}

impl FromStr for StoreLocation {
    type Err = LocationError;

    fn from_str(s: &str) -> Result<StoreLocation, LocationError> {
        let Some(members) = s.strip_prefix("etcd://") else {
            return Ok(StoreLocation::File(PathBuf::from(s)));
        };
        let members: Vec<&str> = members
            .trim_end_matches('/')
            .split(',')
            .filter(|m| !m.is_empty())
            .collect();
        if members.is_empty() {
            return Err(LocationError::NoMember);
        }
        members
            .into_iter()
            .map(|m| match m.rsplit_once(':') {
                Some((host, port))
                    if !host.is_empty() && !m.contains('/') && port.parse::<u16>().is_ok() =>
                {
                    Ok(m.to_string())
                }
                _ => Err(LocationError::BadMember(m.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(StoreLocation::Etcd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_or_etcd_members() {
        assert_eq!(
            "/var/lib/netmaster.redb".parse(),
            Ok(StoreLocation::File("/var/lib/netmaster.redb".into()))
        );
        assert_eq!(
            "etcd://127.0.0.1:2379,h2:2379".parse(),
            Ok(StoreLocation::Etcd(vec![
                "127.0.0.1:2379".into(),
                "h2:2379".into()
            ]))
        );
        assert_eq!(
            "etcd://".parse::<StoreLocation>(),
            Err(LocationError::NoMember)
        );
        assert_eq!(
            "etcd://h1".parse::<StoreLocation>(),
            Err(LocationError::BadMember("h1".into()))
        );
        assert_eq!(
            "etcd://h1:x".parse::<StoreLocation>(),
            Err(LocationError::BadMember("h1:x".into()))
        );
    }
}
