package dpkg

import "syscall"

const sysFstatat = syscall.SYS_NEWFSTATAT
