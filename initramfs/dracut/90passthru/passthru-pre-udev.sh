#!/bin/sh
# passthru: bind the remembered devices to vfio-pci by address before udev starts.
# dracut sources its hooks; the work runs in a child so it cannot change dracut's shell.
if [ -x /usr/lib/passthru/early-bind ]; then
	/usr/lib/passthru/early-bind
fi
