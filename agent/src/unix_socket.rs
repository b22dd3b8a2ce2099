//! The agent's unix sockets (CNI, Docker's plugin): bound with mode 0600, so that only root
//! (the runtime) reaches them.

use crate::error::{Context, Error};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tokio::net::{UnixListener, UnixStream};

/// Binds the socket at `path`: creates its directory and replaces a stale socket, but refuses
/// to take over the socket of a live agent.
pub async fn bind(path: &Path) -> Result<UnixListener, Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
    }
    if path.exists() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(Error::found(
                path.display().to_string(),
                "served by another agent",
            ));
        }
        std::fs::remove_file(path).context(|| format!("removing {}", path.display()))?;
    }
    let listener = UnixListener::bind(path).context(|| format!("binding {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .context(|| format!("chmod {}", path.display()))?;
    Ok(listener)
}
