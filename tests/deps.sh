# Debian packages the project needs, installed when missing. Sourced by ./run-tests and
# ./run-demo.
# shellcheck shell=bash

PKGS_BUILD="meson ninja-build gcc pkg-config libndctl-dev libdaxctl-dev libudev-dev
libsystemd-dev libkmod-dev libinih-dev libcxl-dev libjson-c-dev libblkid-dev uuid-dev libdbus-1-dev
libsmartcols-dev bash-completion
systemd udev scdoc libxml2-utils dbus clang libclang-rt-14-dev
debhelper dpkg-dev lintian"
PKGS_VM="qemu-system-x86 qemu-utils mmdebstrap cpio xz-utils zstd kmod jq valgrind libc6-dbg"

install_deps() {
        local want="" missing="" p
        for set in "$@"; do
                case "$set" in
                build) want="$want $PKGS_BUILD";;
                vm) want="$want $PKGS_VM";;
                esac
        done
        for p in $want; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                        missing="$missing $p"
        done
        [ -z "$missing" ] && return 0
        echo "Installing:$missing"
        if [ "$(id -u)" != 0 ]; then
                echo "run as root (apt-get install is needed)" >&2
                return 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
