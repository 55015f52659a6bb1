#!/bin/bash
# passthru's dracut module: bind the remembered devices to vfio-pci by address in the
# pre-udev hook, before udev loads any PCI driver (see /usr/lib/passthru/early-bind).

# Included whenever passthru keeps a device on vfio-pci; otherwise only on request.
check() {
	[[ -s "${dracutsysrootdir-}/etc/passthru/early-bind.list" ]] && return 0
	return 255
}

depends() {
	return 0
}

installkernel() {
	hostonly='' instmods vfio vfio_iommu_type1 vfio_pci
}

# shellcheck disable=SC2154 # dracut sets moddir
install() {
	inst_simple /etc/passthru/early-bind.list
	inst_script /usr/lib/passthru/early-bind /usr/lib/passthru/early-bind
	inst_multiple modprobe
	inst_hook pre-udev 05 "$moddir/passthru-pre-udev.sh"
}
