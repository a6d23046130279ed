/* SPDX-License-Identifier: MIT */
/*
 * qemu-lines.c - the corpus of real QEMU command lines with CXL devices
 * (docs/cmdline.md, "QEMU command lines that work as pasted"): each row
 * names its source and keeps its line as written, but for file paths moved
 * into the test's temp directory (@) and TCP ports made 0.  What is not
 * here: starting, checking and stopping the daemon on them
 * (test-qemu-cmdlines.c).
 */
#include "qemu-lines.h"

const struct pasted qemu_lines[] = {
	{
		/* QEMU's DCD series (Fan Ni, hw/cxl/cxl_type3: DCD), its cover letter's topology */
		"QEMU DCD series",
		"-M q35,cxl=on -object memory-backend-ram,id=vmem0,share=on,size=4G "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 "
		"-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 "
		"-device cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2 "
		"-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
		"cxl-dcd0", NULL, NULL, NULL,
	},
	{
		/* the tagged-memory RFC's cover letter ("# QEMU Command:"), whole (-qmp port 4444 -> 0) */
		"tagged-memory RFC",
		"qemu-system-x86_64 -cpu max -smp 8 "
		"-drive file=debian12.qcow2,format=qcow2,if=none,id=mydrive0,index=0 "
		"-device virtio-blk-pci,drive=mydrive0 -kernel bzImage "
		"-append \"console=ttyS0,115200 TERM=linux root=/dev/vda1 nokaslr ignore_loglevel "
		"fsck.mode=skip cxl_acpi.dyndbg=+fplm cxl_pci.dyndbg=+fplm cxl\" "
		"-nographic -serial mon:stdio -machine type=q35,accel=tcg "
		"-virtfs local,path=hostshare/,mount_tag=hostshare,security_model=passthrough,id=hostshare "
		"-qmp tcp:localhost:0,server,wait=off "
		"-netdev user,id=network0,hostfwd=tcp::2025-:22 -device virtio-net,netdev=network0 "
		"-m 12G,maxmem=20G,slots=10 -object memory-backend-ram,id=vmem0,share=on,size=2G "
		"-device pxb-cxl,numa_node=0,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 "
		"-M cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=6G "
		"-device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G",
		"cxl-vmem0", NULL, NULL, NULL,
	},
	{
		/* the Linux tagged-DCD series' cover letter: QEMU with tags, MCTP over USB */
		"Linux DCD tags cover letter",
		"-object memory-backend-file,id=cxl-mem1,mem-path=@/t3_cxl1.raw,size=12G "
		"-object memory-backend-file,id=cxl-lsa1,mem-path=@/t3_lsa1.raw,size=1G "
		"-device usb-ehci,id=ehci "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp_port0,chassis=0,slot=2 "
		"-device cxl-type3,bus=cxl_rp_port0,id=cxl-dcd0,dc-regions-total-size=12G,num-dc-regions=1,sn=99 "
		"-device usb-cxl-mctp,bus=ehci.0,id=usb1,target=cxl-dcd0 "
		"-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=12G,cxl-fmw.0.interleave-granularity=1k",
		"cxl-dcd0", NULL, NULL, "t3_cxl1.raw t3_lsa1.raw",
	},
	{
		/* libcxlmi's test topology FM_DCD: switch CCI, MCTP over USB, "multifunction=on," */
		"libcxlmi FM_DCD",
		"-device usb-ehci,id=ehci "
		"-object memory-backend-file,id=cxl-mem1,mem-path=@/t3_cxl1.raw,size=4G "
		"-object memory-backend-file,id=cxl-lsa1,mem-path=@/t3_lsa1.raw,size=1M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp_port0,chassis=0,slot=2 "
		"-device cxl-upstream,port=2,sn=1234,bus=cxl_rp_port0,id=us0,addr=0.0,multifunction=on, "
		"-device cxl-switch-mailbox-cci,bus=cxl_rp_port0,addr=0.1,target=us0 "
		"-device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4 "
		"-device cxl-type3,bus=swport0,volatile-dc-memdev=cxl-mem1,id=cxl-dcd0,lsa=cxl-lsa1,num-dc-regions=2,sn=99 "
		"-device usb-cxl-mctp,bus=ehci.0,id=usb0,target=us0 "
		"-device usb-cxl-mctp,bus=ehci.0,id=usb1,target=cxl-dcd0 "
		"-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=1k",
		"cxl-dcd0", NULL, NULL, "t3_cxl1.raw t3_lsa1.raw",
	},
	{
		/* libcxlmi's test topology FM_DCD, MCTP over I2C */
		"libcxlmi FM_DCD (I2C)",
		"-object memory-backend-file,id=cxl-mem1,mem-path=@/t3_cxl1.raw,size=4G "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp_port0,chassis=0,slot=2 "
		"-device cxl-type3,bus=cxl_rp_port0,volatile-dc-memdev=cxl-mem1,id=cxl-dcd0,num-dc-regions=2,sn=99 "
		"-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=1k "
		"-device i2c_mctp_cxl,bus=aspeed.i2c.bus.0,address=4,target=cxl-dcd0",
		"cxl-dcd0", NULL, NULL, "t3_cxl1.raw",
	},
	{
		/* cxl-test-tool's run_qemu with its RP1_DCD topology, expanded */
		"cxl-test-tool RP1_DCD",
		"-s -kernel @/bzImage -append \"root=/dev/sda rw console=ttyS0,115200 ignore_loglevel nokaslr\" "
		"-smp 1 -accel tcg -serial mon:stdio -nographic "
		"-monitor telnet:127.0.0.1:12345,server,nowait "
		"-drive file=@/qemu-image.img,index=0,media=disk,format=raw "
		"-machine q35,cxl=on -m 8G,maxmem=32G,slots=8 "
		"-virtfs local,path=/lib/modules,mount_tag=modshare,security_model=mapped "
		"-object memory-backend-file,id=cxl-mem1,share=on,mem-path=@/cxltest.raw,size=512M "
		"-object memory-backend-file,id=cxl-mem2,share=on,mem-path=@/cxltest2.raw,size=2048M "
		"-object memory-backend-file,id=cxl-dcd0,share=on,mem-path=@/cxltest-dcd.raw,size=4096M "
		"-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=@/lsa.raw,size=512M "
		"-object memory-backend-file,id=cxl-lsa3,share=on,mem-path=@/lsa2.raw,size=512M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 "
		"-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 "
		"-device cxl-rp,port=1,bus=cxl.1,id=root_port14,chassis=0,slot=3 "
		"-device cxl-type3,bus=root_port13,memdev=cxl-mem1,lsa=cxl-lsa1,volatile-dc-memdev=cxl-dcd0,"
		"volatile-memdev=cxl-mem2,id=cxl-dcd0,num-dc-regions=2 "
		"-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k",
		"cxl-dcd0", NULL, NULL, "cxltest.raw cxltest2.raw cxltest-dcd.raw lsa.raw lsa2.raw",
	},
	{
		/* a user's DCD configuration on linux-cxl (a Python argument list) */
		"linux-cxl user config",
		"-m 6G,maxmem=20G,slots=10 -object memory-backend-ram,id=vmem0,share=on,size=2G "
		"-device pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1 "
		"-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 "
		"-device cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-vmem0,num-dc-regions=2 "
		"-M cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
		"cxl-vmem0", NULL, NULL, NULL,
	},
	{
		/* a reproducer script: static volatile capacity next to a DC region, no guest devices */
		"static + DC reproducer",
		"-display none -nodefaults "
		"-machine q35,cxl=on,cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G "
		"-device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 -device cxl-rp,id=rp0,bus=cxl.0,chassis=0,slot=0 "
		"-object memory-backend-ram,id=cxl-mem0,size=256M -object memory-backend-ram,id=cxl-dc0,size=256M "
		"-device cxl-type3,bus=rp0,volatile-memdev=cxl-mem0,volatile-dc-memdev=cxl-dc0,num-dc-regions=1,id=mem0 "
		"-drive file=@/poc.img,format=raw,if=floppy -boot a -serial file:@/serial.log -no-reboot",
		"mem0", NULL, NULL, NULL,
	},
	{
		/* QEMU's docs/interop QMP set-up (-chardev + -mon) around the DCD series' device */
		"QMP over -chardev/-mon",
		"-M q35,cxl=on -object memory-backend-ram,id=vmem0,share=on,size=4G "
		"-device cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2 "
		"-chardev socket,id=mon1,path=@/qmp-mon.sock,server=on,wait=off "
		"-mon chardev=mon1,mode=control,pretty=on",
		"cxl-dcd0", NULL, NULL, NULL,
	},
	{
		/* a DCD test script's topology: two DCDs below one switch, MCTP over USB to each */
		"two DCDs below a switch",
		"-device usb-ehci,id=ehci "
		"-object memory-backend-file,id=cxl-mem1,share=on,mem-path=@/josh-t3_cxl_single_dcd.raw,size=4G "
		"-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=@/josh-t3_lsa_single_dcd.raw,size=1M "
		"-object memory-backend-file,id=cxl-mem2,share=on,mem-path=@/josh-t3_cxl_single_dcd2.raw,size=4G "
		"-object memory-backend-file,id=cxl-lsa2,share=on,mem-path=@/josh-t3_lsa_single_dcd2.raw,size=1M "
		"-device pxb-cxl,bus_nr=11,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp_port0,chassis=0,slot=2 "
		"-device cxl-upstream,port=0,sn=1234,bus=cxl_rp_port0,id=us0,addr=0.0,multifunction=on, "
		"-device cxl-switch-mailbox-cci,bus=cxl_rp_port0,addr=0.3,target=us0 "
		"-device cxl-downstream,port=0,bus=us0,id=swport0,slot=4 "
		"-device cxl-downstream,port=1,bus=us0,id=swport1,slot=5 "
		"-device cxl-type3,bus=swport0,volatile-dc-memdev=cxl-mem1,id=cxl-dcd0,lsa=cxl-lsa1,num-dc-regions=2,sn=99,multifunction=on "
		"-device cxl-type3,bus=swport1,volatile-dc-memdev=cxl-mem2,id=cxl-dcd1,lsa=cxl-lsa2,num-dc-regions=2,sn=99,multifunction=on "
		"-device usb-cxl-mctp,bus=ehci.0,id=usb0,target=us0 "
		"-device usb-cxl-mctp,bus=ehci.0,id=usb1,target=cxl-dcd0 "
		"-device usb-cxl-mctp,bus=ehci.0,id=usb2,target=cxl-dcd1 "
		"-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=8G,cxl-fmw.0.interleave-granularity=1k",
		"cxl-dcd0", "cxl-dcd1", NULL, "josh-t3_cxl_single_dcd.raw josh-t3_lsa_single_dcd2.raw",
	},
	{
		/* the same script's two_rp: two host bridges, 8 DC regions each, two windows */
		"two DCDs, 8 regions each",
		"-device usb-ehci,id=ehci "
		"-object memory-backend-file,id=cxl-mem1,share=on,mem-path=@/t3_cxl1.raw,size=8G "
		"-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=@/t3_lsa1.raw,size=1M "
		"-object memory-backend-file,id=cxl-mem2,share=on,mem-path=@/t3_cxl2.raw,size=8G "
		"-object memory-backend-file,id=cxl-lsa2,share=on,mem-path=@/t3_lsa2.raw,size=1M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.0,hdm_for_passthrough=true "
		"-device pxb-cxl,bus_nr=48,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.0,id=root_port1,chassis=0,slot=1 "
		"-device cxl-rp,port=1,bus=cxl.1,id=root_port2,chassis=1,slot=1 "
		"-device cxl-type3,bus=root_port1,volatile-dc-memdev=cxl-mem1,id=cxl-dcd0,lsa=cxl-lsa1,num-dc-regions=8,sn=99 "
		"-device cxl-type3,bus=root_port2,volatile-dc-memdev=cxl-mem2,id=cxl-dcd1,lsa=cxl-lsa2,num-dc-regions=8,sn=100 "
		"-machine cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=8G,cxl-fmw.1.targets.0=cxl.1,cxl-fmw.1.size=8G",
		"cxl-dcd0", "cxl-dcd1", NULL, "t3_cxl1.raw t3_cxl2.raw",
	},
	/*
	 * QEMU's cxl-type3 without DC regions: static capacity only, no
	 * 48xxh/56xxh (docs/cmdline.md).
	 */
	{
		/* QEMU docs/system/devices/cxl.rst: one persistent memory device */
		"cxl.rst persistent",
		"qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 "
		"-object memory-backend-file,id=cxl-mem1,share=on,mem-path=@/cxltest.raw,size=256M "
		"-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=@/lsa.raw,size=256M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 "
		"-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 "
		"-device cxl-type3,bus=root_port13,persistent-memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem0 "
		"-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
		"cxl-pmem0", NULL, NULL, "cxltest.raw lsa.raw",
	},
	{
		/* QEMU docs/system/devices/cxl.rst: one volatile memory device */
		"cxl.rst volatile",
		"qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 "
		"-object memory-backend-ram,id=vmem0,share=on,size=256M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 "
		"-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 "
		"-device cxl-type3,bus=root_port13,volatile-memdev=vmem0,id=cxl-vmem0 "
		"-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
		"cxl-vmem0", NULL, NULL, NULL,
	},
	{
		/* QEMU tests/qtest/cxl-test.c, cxl_t3d (mem-path is a directory there) */
		"qtest cxl_t3d",
		"-machine q35,cxl=on -device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 "
		"-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G "
		"-device cxl-rp,id=rp0,bus=cxl.0,chassis=0,slot=0 "
		"-object memory-backend-file,id=cxl-mem0,mem-path=@,size=256M "
		"-object memory-backend-file,id=lsa0,mem-path=@,size=256M "
		"-device cxl-type3,bus=rp0,memdev=cxl-mem0,lsa=lsa0,id=cxl-pmem0",
		"cxl-pmem0", NULL, NULL, NULL,
	},
	/*
	 * Out-of-tree cxl-type3 properties that only switch on what cxldcd
	 * always does: accepted, each noted in the log with why.
	 */
	{
		/* cxl-test-tool's FM_TARGET (Fan Ni's MCTP-over-QMP RFC), its -qmp from the RFC's letter */
		"cxl-test-tool FM_TARGET (allow-fm-attach)",
		"-qmp tcp:localhost:0,server,wait=off "
		"-object memory-backend-file,id=cxl-mem2,mem-path=@/t3_cxl2.raw,size=4G "
		"-object memory-backend-file,id=cxl-lsa2,mem-path=@/t3_lsa2.raw,size=1M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true "
		"-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp_port0,chassis=0,slot=2 "
		"-device cxl-upstream,port=2,sn=1234,bus=cxl_rp_port0,id=us0,addr=0.0,multifunction=on, "
		"-device cxl-switch-mailbox-cci,bus=cxl_rp_port0,addr=0.1,target=us0 "
		"-device cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4 "
		"-device cxl-downstream,port=1,bus=us0,id=swport1,chassis=0,slot=5 "
		"-device cxl-downstream,port=3,bus=us0,id=swport2,chassis=0,slot=6 "
		"-device cxl-type3,bus=swport2,volatile-dc-memdev=cxl-mem2,id=cxl-dcd0,lsa=cxl-lsa2,"
		"num-dc-regions=1,sn=99,allow-fm-attach=on,mctp-buf-init=on "
		"-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=1k "
		"-device i2c_mctp_cxl,bus=aspeed.i2c.bus.0,address=4,target=us0 "
		"-device i2c_mctp_cxl,bus=aspeed.i2c.bus.0,address=6,target=cxl-dcd0 "
		"-device virtio-rng-pci,bus=swport1",
		"cxl-dcd0", NULL, NULL, "t3_cxl2.raw t3_lsa2.raw",
	},
	{
		/* a CHMU test set-up posted to linux-cxl (cxl-type3 chmu-port=), its memory cut to 256M */
		"CHMU port",
		"-object memory-backend-ram,id=cxl-mem1,size=256M,share=on "
		"-object memory-backend-file,id=cxl-lsa1,share=on,mem-path=@/t3_lsa1.raw,size=1M,align=1M "
		"-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true,numa_node=0 "
		"-device cxl-rp,port=0,bus=cxl.1,id=cxl_rp_port0,chassis=0,slot=2 "
		"-device cxl-type3,bus=cxl_rp_port0,volatile-memdev=cxl-mem1,id=cxl-pmem1,lsa=cxl-lsa1,sn=3,"
		"x-speed=32,x-width=16,chmu-port=4443 "
		"-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=8G,cxl-fmw.0.interleave-granularity=1k",
		"cxl-pmem1", NULL, NULL, "t3_lsa1.raw",
	},
	/*
	 * QEMU's socket options on the QMP socket (not from a published CXL
	 * line: the DCD series' device with a -qmp and a -chardev written as
	 * QEMU documents them): IPv4 only, the rest noted.
	 */
	{
		"QMP on TCP, IPv4 only",
		"-M q35,cxl=on -object memory-backend-ram,id=vmem0,share=on,size=4G "
		"-device cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2 "
		"-qmp tcp:localhost:0,server=on,wait=off,ipv4=on,nodelay=on",
		"cxl-dcd0", NULL, NULL, NULL,
	},
	{
		"QMP on a -chardev socket, IPv4 only",
		"-M q35,cxl=on -object memory-backend-ram,id=vmem0,share=on,size=4G "
		"-device cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2 "
		"-chardev socket,id=qmp0,host=127.0.0.1,port=0,server=on,wait=off,ipv4=on "
		"-mon chardev=qmp0,mode=control",
		"cxl-dcd0", NULL, NULL, NULL,
	},
	/* Refused, and why. */
	{
		/* Gregory Price's MH-SLD RFC: a device type QEMU upstream does not have either */
		"MH-SLD RFC",
		"-device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 "
		"-device cxl-rp,id=rp0,bus=cxl.0,chassis=0,port=0,slot=0 "
		"-object memory-backend-ram,id=mem0,size=4G "
		"-device cxl-mhsld,bus=rp0,num-dc-regions=1,volatile-dc-memdev=mem0,id=cxl-mem0,sn=66667,"
		"mhd-head=0,mhd-state_file=mhd_metadata,mhd-init=true "
		"-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G -qmp unix:@/qmp-sock-1,server,nowait",
		NULL, NULL, "-device 'cxl-mhsld,bus=rp0,num-dc-regions=1,volatile-dc-memdev=mem0,id=cxl-mem0,"
		"sn=66667,mhd-head=0,mhd-state_file=mhd_metadata,mhd-init=true': unknown device type "
		"'cxl-mhsld'", NULL,
	},
	{
		/* Gregory Price's MHD RFC (cxl-type3 is_mhd=true), its cover letter's line */
		"MHD RFC (is_mhd)",
		"-nographic -accel kvm -drive file=./mhd.qcow2,format=qcow2,index=0,media=disk,id=hd "
		"-m 4G,slots=4,maxmem=8G -smp 4 -machine type=q35,cxl=on,hmat=on "
		"-device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 "
		"-device cxl-rp,id=rp0,bus=cxl.0,chassis=0,port=0,slot=0 "
		"-object memory-backend-file,id=mem0,mem-path=@/mem0,size=4G,share=true "
		"-device cxl-type3,bus=rp0,volatile-memdev=mem0,id=cxl-mem0,sn=66666,is_mhd=true,mhd_head=0,"
		"mhd_shmid=15 -M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G",
		NULL, NULL, "-device 'cxl-type3,bus=rp0,volatile-memdev=mem0,id=cxl-mem0,sn=66666,is_mhd=true,"
		"mhd_head=0,mhd_shmid=15': is_mhd=true: the MHD RFC's multi-headed device, each head a QEMU "
		"sharing the device's state through System V shared memory (mhd_shmid), is not implemented: "
		"one cxldcd serves every head as a host (num-hosts=N)", NULL,
	},
	{
		/* QEMU's TLS QMP set-up (tls-creds on the monitor's socket) around the DCD series' device */
		"QMP over TLS",
		"-M q35,cxl=on -object memory-backend-ram,id=vmem0,share=on,size=4G "
		"-device cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2 "
		"-object tls-creds-x509,id=tls0,dir=@/pki,endpoint=server "
		"-chardev socket,id=mon0,host=127.0.0.1,port=0,server=on,wait=off,tls-creds=tls0 "
		"-mon chardev=mon0,mode=control",
		NULL, NULL, "-chardev 'socket,id=mon0,host=127.0.0.1,port=0,server=on,wait=off,tls-creds=tls0': "
		"tls-creds: TLS is not supported: use a Unix socket, or TCP on the loopback address", NULL,
	},
	{
		/* cxl.rst's examples as printed, with the "..." that stands for the rest of the guest */
		"cxl.rst with its ...",
		"qemu-system-x86_64 -M q35,cxl=on -m 4G,maxmem=8G,slots=8 -smp 4 ... "
		"-object memory-backend-ram,id=vmem0,share=on,size=256M",
		NULL, NULL, "unexpected argument '...' (QEMU's documentation writes '...' for the guest's other "
		"options: leave it out)", NULL,
	},
};

const size_t nr_qemu_lines = sizeof(qemu_lines) / sizeof(qemu_lines[0]);
