#pragma once
// A container's files directory on the data root: <data>/containers/<id>, with an image's
// upper and work layers, owned by one state root; and the spare layer a --rm run leaves for
// the next one.

#include <string>
#include <vector>

namespace mydocker {

// <data>/containers/<id>: the upper and work layers, the merged mount point and the /etc files.
std::string container_files_dir(const std::string& data_root, const std::string& id);
// The state root whose record owns a container's files directory: create_container_files
// writes it in an xattr (trusted.mydocker.state_root: no disk block, no extra file), so that
// `prune` can remove the layers of a record that is gone, as every record in /run is after a
// reboot. "" when unmarked (a filesystem without xattrs, or made by an older mydocker).
std::string container_files_owner(const std::string& files_dir);
// The files directory itself, marked for `state_root` (above), and with `overlay` its upper and
// work layers; <data>/containers 0711, the directory 0700 (docker's CVE-2021-41091). Throws
// SysError.
void make_container_layer(const std::string& files_dir, const std::string& state_root,
                          bool overlay);
// Before a mount of a layer whose work directory `work` a volatile overlay used (a --rm
// container's): overlayfs leaves work/work/incompat/volatile behind, even after a clean
// unmount, and refuses every later mount of the layer while it is there. Our record of the
// layer survives only while no crash happened (the state root is a tmpfs), and the unmount was
// clean (the container's mount namespace ended): the marker goes. Best effort.
void forget_volatile_mount(const std::string& work);

// The spare layer: a directory made and removed costs an inode allocation and a freed block;
// on ext4 without a journal (this VM's disk) the allocation skips every inode freed lately and,
// mounted with `discard`, the free is a synchronous discard (README, performance). So a --rm
// container that ended gives its files directory and work directory to the next image run of
// the same state root, renamed: <data>/containers/.spare-<hash of the state root>, root-only as
// every layer, for 64 runs (then the next layer is made afresh, in another block group:
// util/files.hpp, spread_children). The upper directory, all the container wrote, is removed;
// the next run's upper is the `volatile` marker's directory, emptied (overlayfs made it at the
// mount and never touched it again): nothing of the old container reaches the new one, even
// through an overlay mount some process still holds (a shell that entered the old container's
// mount namespace).
std::string spare_layer_dir(const std::string& data_root, const std::string& state_root);
// Renames the spare into place as `files_dir` (an image run's, not there yet) with a new upper
// directory. False when there is none (or another run took it first): the caller makes the
// layer. Throws SysError when the upper directory cannot be made.
bool take_spare_layer(const std::string& files_dir, const std::string& state_root);
// Keeps the layer of a --rm container that ended as the spare: when its files directory holds
// only upper and work, is marked for `state_root` and has served fewer than 64 runs, the upper
// directory and overlayfs' work/work go (their inodes freed by a closer, util/closer.hpp), the
// marker's directory becomes the next upper, and what is left becomes the spare. False when it
// does not qualify or a spare exists: the caller removes what is left.
bool keep_spare_layer(const std::string& files_dir, const std::string& state_root);
// `prune`: the spare goes (claimed by a rename, so that a run taking it at the same moment
// keeps a whole layer), and what a killed prune left of one. The paths removed.
std::vector<std::string> remove_spare_layers(const std::string& data_root,
                                             const std::string& state_root);

}  // namespace mydocker
