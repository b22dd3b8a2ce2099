//! The SR-IOV view of sysfs, under a configurable root (default `/sys`).
//!
//! ```text
//! <root>/class/net/<pf>/device/sriov_totalvfs     how many VFs the PF supports
//! <root>/class/net/<pf>/device/sriov_numvfs       how many exist (write to create/destroy)
//! <root>/class/net/<pf>/device/virtfn<N>          -> ../<VF PCI address>
//! <root>/class/net/<pf>/device/virtfn<N>/net/<if> the VF's netdev (absent when not bound to a
//!                                                  network driver, e.g. vfio-pci)
//! <root>/class/net/<pf>/compat/devlink/mode       eswitch mode hint (mlx5): legacy|switchdev
//! <root>/class/net/<if>/phys_switch_id            shared by the PF and its representors
//! <root>/class/net/<if>/phys_port_name            pf<P>vf<N> on the representor of VF N
//! ```

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// The eswitch mode of a PF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EswitchMode {
    /// VFs are switched by the NIC's embedded switch; no representors.
    Legacy,
    /// Every VF has a representor netdev on the host; traffic is switched (and offloaded) by
    /// whatever the representors are attached to, here Open vSwitch.
    Switchdev,
}

/// A virtual function of a PF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfDevice {
    /// The VF index (`virtfn<index>`), as used in `IFLA_VF_*` attributes.
    pub index: u32,
    /// The VF's PCI address, e.g. `0000:03:00.2`.
    pub pci_address: String,
    /// The VF's netdev, if it is bound to a network driver.
    pub netdev: Option<String>,
}

/// The switchdev representor of a VF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Representor {
    /// The VF index.
    pub vf: u32,
    /// The representor's netdev (on the host, added to the bridge).
    pub netdev: String,
}

/// sysfs under a root directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sysfs {
    root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs::new("/sys")
    }
}

fn io_err<'p>(op: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> Error + 'p {
    move |source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a sysfs attribute; `None` when the file does not exist or the device does not
/// support it (sysfs answers `EOPNOTSUPP`/`EINVAL` on read, e.g. `phys_switch_id`).
fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP) | Some(libc::EINVAL) | Some(libc::ENODEV)
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(io_err("reading", path)(e)),
    }
}

fn parse_u32(path: &Path, contents: &str) -> Result<u32> {
    contents.trim().parse().map_err(|_| Error::Parse {
        path: path.to_path_buf(),
        contents: contents.to_string(),
    })
}

/// Parses a representor's `phys_port_name`, `pf<P>vf<N>`, into `(P, N)`.
pub fn parse_vf_port_name(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("pf")?;
    let (pf, vf) = rest.split_once("vf")?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(pf) || !all_digits(vf) {
        return None;
    }
    Some((pf.parse().ok()?, vf.parse().ok()?))
}

impl Sysfs {
    /// sysfs mounted at `root` (a fake tree in tests).
    pub fn new(root: impl Into<PathBuf>) -> Sysfs {
        Sysfs { root: root.into() }
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/class/net/<ifname>`.
    pub fn netdev_dir(&self, ifname: &str) -> PathBuf {
        self.root.join("class/net").join(ifname)
    }

    /// `<root>/class/net/<pf>/device`, checking that the netdev exists.
    fn device_dir(&self, pf: &str) -> Result<PathBuf> {
        if pf.is_empty() || pf.contains('/') || pf == "." || pf == ".." {
            return Err(Error::Invalid(format!("bad interface name {pf:?}")));
        }
        let dir = self.netdev_dir(pf);
        if !dir.exists() {
            return Err(Error::NoSuchDevice(pf.to_string()));
        }
        Ok(dir.join("device"))
    }

    fn read_count(&self, pf: &str, file: &str) -> Result<u32> {
        let path = self.device_dir(pf)?.join(file);
        match read_optional(&path)? {
            Some(contents) => parse_u32(&path, &contents),
            None => Err(Error::NotSriov(pf.to_string())),
        }
    }

    /// `sriov_totalvfs`: how many VFs the PF supports. [`Error::NotSriov`] if it has none.
    pub fn total_vfs(&self, pf: &str) -> Result<u32> {
        self.read_count(pf, "sriov_totalvfs")
    }

    /// `sriov_numvfs`: how many VFs exist now.
    pub fn num_vfs(&self, pf: &str) -> Result<u32> {
        self.read_count(pf, "sriov_numvfs")
    }

    /// Makes the PF have `n` VFs by writing `sriov_numvfs`.
    ///
    /// The kernel refuses to change a non-zero count to another non-zero count (`EBUSY`), so
    /// `0` is written first in that case. Nothing is written when the count is already `n`.
    /// Returns the values written, in order.
    pub fn set_num_vfs(&self, pf: &str, n: u32) -> Result<Vec<u32>> {
        let total = self.total_vfs(pf)?;
        if n > total {
            return Err(Error::TooManyVfs {
                pf: pf.to_string(),
                requested: n,
                total,
            });
        }
        let current = self.num_vfs(pf)?;
        let mut writes = Vec::new();
        if current == n {
            return Ok(writes);
        }
        if current != 0 && n != 0 {
            writes.push(0);
        }
        writes.push(n);
        let path = self.device_dir(pf)?.join("sriov_numvfs");
        for value in &writes {
            // One write(2) per value: sysfs stores take the whole buffer of one write.
            fs::write(&path, format!("{value}\n")).map_err(io_err("writing", &path))?;
        }
        Ok(writes)
    }

    /// The PF's VFs (`device/virtfn<N>`), sorted by index.
    pub fn vfs(&self, pf: &str) -> Result<Vec<VfDevice>> {
        // Fails with NotSriov on a device without SR-IOV.
        self.total_vfs(pf)?;
        let device = self.device_dir(pf)?;
        let entries = fs::read_dir(&device).map_err(io_err("listing", &device))?;
        let mut vfs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("listing", &device))?;
            let name = entry.file_name();
            let Some(index) = name
                .to_str()
                .and_then(|n| n.strip_prefix("virtfn"))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let link = entry.path();
            let target = fs::read_link(&link).map_err(io_err("reading link", &link))?;
            let pci_address = target
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::Parse {
                    path: link.clone(),
                    contents: target.display().to_string(),
                })?
                .to_string();
            vfs.push(VfDevice {
                index,
                pci_address,
                netdev: first_entry(&link.join("net"))?,
            });
        }
        vfs.sort_by_key(|vf| vf.index);
        Ok(vfs)
    }

    /// The VF `index` of the PF.
    pub fn vf(&self, pf: &str, index: u32) -> Result<VfDevice> {
        self.vfs(pf)?
            .into_iter()
            .find(|vf| vf.index == index)
            .ok_or_else(|| Error::NoSuchVf {
                pf: pf.to_string(),
                vf: index,
            })
    }

    /// The eswitch mode hint `compat/devlink/mode` (mlx5), if the driver provides it.
    ///
    /// The authoritative source is devlink (`devlink dev eswitch show`), which is not read
    /// here; without the hint, [`Sysfs::representors`] tells whether representors exist.
    pub fn eswitch_mode(&self, pf: &str) -> Result<Option<EswitchMode>> {
        self.device_dir(pf)?;
        let path = self.netdev_dir(pf).join("compat/devlink/mode");
        match read_optional(&path)?.as_deref() {
            None => Ok(None),
            Some("legacy") => Ok(Some(EswitchMode::Legacy)),
            Some("switchdev") => Ok(Some(EswitchMode::Switchdev)),
            Some(other) => Err(Error::Parse {
                path,
                contents: other.to_string(),
            }),
        }
    }

    /// A netdev's `phys_switch_id`, if it has one.
    pub fn phys_switch_id(&self, ifname: &str) -> Result<Option<String>> {
        read_optional(&self.netdev_dir(ifname).join("phys_switch_id"))
            .map(|id| id.filter(|id| !id.is_empty()))
    }

    /// A netdev's `phys_port_name`, if it has one.
    pub fn phys_port_name(&self, ifname: &str) -> Result<Option<String>> {
        read_optional(&self.netdev_dir(ifname).join("phys_port_name"))
            .map(|name| name.filter(|name| !name.is_empty()))
    }

    /// The switchdev representors of the PF's VFs, sorted by VF index: the netdevs whose
    /// `phys_switch_id` equals the PF's and whose `phys_port_name` is `pf<P>vf<N>`, where `P`
    /// is the PF's number (from its own `phys_port_name` `p<P>`, else 0).
    ///
    /// Empty when the PF has no `phys_switch_id` (legacy mode or no switchdev support).
    pub fn representors(&self, pf: &str) -> Result<Vec<Representor>> {
        self.device_dir(pf)?;
        let Some(switch_id) = self.phys_switch_id(pf)? else {
            return Ok(Vec::new());
        };
        let pf_number = self
            .phys_port_name(pf)?
            .and_then(|name| name.strip_prefix('p').and_then(|n| n.parse::<u32>().ok()))
            .unwrap_or(0);
        let class = self.root.join("class/net");
        let entries = fs::read_dir(&class).map_err(io_err("listing", &class))?;
        let mut reps = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("listing", &class))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name == pf || self.phys_switch_id(&name)?.as_ref() != Some(&switch_id) {
                continue;
            }
            let Some((p, vf)) = self
                .phys_port_name(&name)?
                .as_deref()
                .and_then(parse_vf_port_name)
            else {
                continue;
            };
            if p == pf_number {
                reps.push(Representor { vf, netdev: name });
            }
        }
        reps.sort_by(|a, b| a.vf.cmp(&b.vf).then_with(|| a.netdev.cmp(&b.netdev)));
        Ok(reps)
    }

    /// The representor of VF `vf`, if there is one.
    pub fn representor(&self, pf: &str, vf: u32) -> Result<Option<Representor>> {
        Ok(self.representors(pf)?.into_iter().find(|r| r.vf == vf))
    }
}

/// The name of the first entry (sorted) of a directory, `None` if it is missing or empty.
fn first_entry(dir: &Path) -> Result<Option<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("listing", dir)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err("listing", dir))?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names.into_iter().next())
}
