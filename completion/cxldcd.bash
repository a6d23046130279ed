# SPDX-License-Identifier: MIT
# bash completion for cxldcd, cxldcd-ctl, cxldcd-host and cxldcd-mctp-run; installed once
# per command in share/bash-completion/completions (meson install).

_cxldcd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--state | --pidfile | --log-file | --host-socket)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--log-level)
		COMPREPLY=($(compgen -W "error warning notice info debug" -- "$cur")); return ;;
	--trace)
		COMPREPLY=($(compgen -W "cci qmp host all" -- "$cur")); return ;;
	-object)
		COMPREPLY=($(compgen -W "memory-backend-ram, memory-backend-memfd, memory-backend-file, memory-backend-tagged," -- "$cur"))
		compopt -o nospace 2>/dev/null; return ;;
	-device)
		COMPREPLY=($(compgen -W "cxl-type3,id=" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
	-qmp | --fm | --mctp-cci)
		COMPREPLY=($(compgen -W "unix: tcp:" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
	--mctp-serial)
		COMPREPLY=($(compgen -W "pty pty,device= pty,eid=" -- "$cur")); return ;;
	esac
	COMPREPLY=($(compgen -W "-object -device -qmp --fm --mctp-cci --host-socket --mctp-serial --state --trace
		--log-level --log-file --daemonize --pidfile -machine -chardev -mon --help --version" -- "$cur"))
}

_cxldcd_ctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmds="add release status list map top backends backend-add backend-del durability events raw cci
		inject-poison inject-event inject-uncorrectable-errors inject-correctable-error help"
	local cmd="" w i

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--qmp) ((i++)) ;;
		-*) ;;
		*) cmd=$w; break ;;
		esac
	done
	case $prev in
	--qmp)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--policy)
		COMPREPLY=($(compgen -W "free contiguous prescriptive enable-shared-access" -- "$cur")); return ;;
	--cci)
		COMPREPLY=($(compgen -W "mailbox fm" -- "$cur")); return ;;
	--mem-path | --svg)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--color)
		COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
	--name)
		COMPREPLY=($(compgen -W "CXL_DC_CAPACITY_ACCEPTED CXL_DC_CAPACITY_REJECTED
			CXL_DC_CAPACITY_RELEASED CXL_DC_FORCED_RELEASE CXL_DC_PENDING_TIMEOUT CXL_ERASE_DURABLE
			SHUTDOWN" -- "$cur"))
		return ;;
	--kind)
		COMPREPLY=($(compgen -W "general-media dram memory-module" -- "$cur")); return ;;
	--log)
		COMPREPLY=($(compgen -W "informational warning failure fatal" -- "$cur")); return ;;
	--error)
		COMPREPLY=($(compgen -W "cache-data-parity cache-address-parity cache-be-parity cache-data-ecc
			mem-data-parity mem-address-parity mem-be-parity mem-data-ecc reinit-threshold
			rsvd-encoding poison-received receiver-overflow internal cxl-ide-tx cxl-ide-rx" -- "$cur"))
		return ;;
	--type)
		if [[ $cmd == inject-correctable-error ]]; then
			COMPREPLY=($(compgen -W "cache-data-ecc mem-data-ecc crc-threshold retry-threshold
				cache-poison-received mem-poison-received physical" -- "$cur"))
		fi
		return ;;
	esac
	local opts
	case $cmd in
	"") COMPREPLY=($(compgen -W "$cmds --qmp --json --help --version" -- "$cur")); return ;;
	add) opts="--device --host --region --policy --tag --size --extent" ;;
	release) opts="--device --host --region --tag --size --extent --forced --sanitize" ;;
	status) opts="--device --host --tag --region" ;;
	list) opts="--device --host" ;;
	map) opts="--device --width --color --svg" ;;
	top) opts="--device --width --color" ;;
	backend-add)
		if [[ $cur != -* && $prev == backend-add ]]; then
			COMPREPLY=($(compgen -W "ram memfd file tagged" -- "$cur")); return
		fi
		opts="--tag --mem-path --share --prop" ;;
	events) opts="--follow --timeout --count --name" ;;
	cci) opts="--device --cci --host" ;;
	inject-poison) opts="--device --start --length" ;;
	inject-event) opts="--device --kind --log --flags --maint-op-class --maint-op-subclass --ld-id
		--head-id --dpa --descriptor --type --transaction-type --channel --rank --device-mask
		--nibble-mask --bank-group --bank --row --column --correction-mask --component-id
		--is-comp-id-pldm --sub-channel --cme-ev-flags --cme-count --cvme-count --sub-type
		--health-status --media-status --additional-status --life-used --temperature
		--dirty-shutdown-count --corrected-volatile-error-count --corrected-persistent-error-count" ;;
	inject-uncorrectable-errors) opts="--device --host --error" ;;
	inject-correctable-error) opts="--device --host --type" ;;
	help) COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return ;;
	esac
	COMPREPLY=($(compgen -W "$opts --qmp --json --help" -- "$cur"))
}

_cxldcd_host()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--connect | --agent-socket | --group-access-file)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--accept)
		COMPREPLY=($(compgen -W "all none tags= limit=" -- "$cur")); return ;;
	--agent-socket-group)
		COMPREPLY=($(compgen -g -- "$cur")); return ;;
	--agent-socket-mode)
		COMPREPLY=($(compgen -W "0600 0660 0666" -- "$cur")); return ;;
	--group-access)
		COMPREPLY=($(compgen -W "tag=all, tag=untagged, tag=" -- "$cur")); return ;;
	list | fill | verify)
		[[ $prev == list ]] || COMPREPLY=($(compgen -W "id=" -- "$cur")); return ;;
	static-fill | static-verify)
		return ;;
	esac
	COMPREPLY=($(compgen -W "--connect --tcp --host-id --accept --agent-socket --agent-socket-mode
		--agent-socket-group --group-access --group-access-file --chain-timeout --chain-cap --seq-one-based --no-mapping --wait -v --verbose --help --version list fill verify
		static-fill static-verify" -- "$cur"))
}

_cxldcd_mctp_run()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i

	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			# After --: the program and its arguments, as bash completes them.
			if declare -F _command_offset >/dev/null; then
				_command_offset $((i + 1))
			else
				COMPREPLY=($(compgen -c -- "$cur"))
			fi
			return
		fi
	done
	case $prev in
	--fm | --mctp-cci)
		COMPREPLY=($(compgen -W "unix: tcp:" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
	--eid)
		return ;;
	esac
	COMPREPLY=($(compgen -W "--fm --mctp-cci --eid --help --version --" -- "$cur"))
}

complete -F _cxldcd cxldcd
complete -F _cxldcd_mctp_run cxldcd-mctp-run
complete -F _cxldcd_ctl cxldcd-ctl
complete -F _cxldcd_host cxldcd-host
