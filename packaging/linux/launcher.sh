#!/bin/sh
# /usr/bin/workbench: start the bundle installed in /opt/workbench (it finds its libraries next to itself).
exec /opt/workbench/workbench "$@"
