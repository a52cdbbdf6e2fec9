"""Bundled files: example networks, icons and the .desktop file. Installed as the package ``bpgui._bundled``;
use :mod:`bpgui.resources` to find them."""
