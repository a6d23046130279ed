/* SPDX-License-Identifier: MIT */
/*
 * rc.c - names of CXL return codes (CXL r3.2 Table 8-46), for messages and
 * for the "return-code" strings tools print.
 */
#include "cxldcd/spec.h"

const char *cxldcd_rc_str(enum cxldcd_rc rc)
{
	switch (rc) {
	case CXLDCD_RC_SUCCESS: return "Success";
	case CXLDCD_RC_BG_STARTED: return "Background Command Started";
	case CXLDCD_RC_INVALID_INPUT: return "Invalid Input";
	case CXLDCD_RC_UNSUPPORTED: return "Unsupported";
	case CXLDCD_RC_INTERNAL_ERROR: return "Internal Error";
	case CXLDCD_RC_RETRY_REQUIRED: return "Retry Required";
	case CXLDCD_RC_BUSY: return "Busy";
	case CXLDCD_RC_MEDIA_DISABLED: return "Media Disabled";
	case CXLDCD_RC_FW_TRANSFER_IN_PROGRESS: return "FW Transfer in Progress";
	case CXLDCD_RC_FW_TRANSFER_OUT_OF_ORDER: return "FW Transfer Out of Order";
	case CXLDCD_RC_FW_AUTH_FAILED: return "FW Verification Failed";
	case CXLDCD_RC_INVALID_SLOT: return "Invalid Slot";
	case CXLDCD_RC_ACTIVATION_FAILED_ROLLED_BACK: return "Activation Failed, FW Rolled Back";
	case CXLDCD_RC_ACTIVATION_FAILED_COLD_RESET: return "Activation Failed, Cold Reset Required";
	case CXLDCD_RC_INVALID_HANDLE: return "Invalid Handle";
	case CXLDCD_RC_INVALID_PA: return "Invalid Physical Address";
	case CXLDCD_RC_INJECT_POISON_LIMIT: return "Inject Poison Limit Reached";
	case CXLDCD_RC_PERMANENT_MEDIA_FAILURE: return "Permanent Media Failure";
	case CXLDCD_RC_ABORTED: return "Aborted";
	case CXLDCD_RC_INVALID_SECURITY_STATE: return "Invalid Security State";
	case CXLDCD_RC_INCORRECT_PASSPHRASE: return "Incorrect Passphrase";
	case CXLDCD_RC_UNSUPPORTED_MAILBOX: return "Unsupported Mailbox or CCI";
	case CXLDCD_RC_INVALID_PAYLOAD_LENGTH: return "Invalid Payload Length";
	case CXLDCD_RC_INVALID_LOG: return "Invalid Log";
	case CXLDCD_RC_INTERRUPTED: return "Interrupted";
	case CXLDCD_RC_UNSUPPORTED_FEATURE_VERSION: return "Unsupported Feature Version";
	case CXLDCD_RC_UNSUPPORTED_FEATURE_SELECTION: return "Unsupported Feature Selection Value";
	case CXLDCD_RC_FEATURE_TRANSFER_IN_PROGRESS: return "Feature Transfer in Progress";
	case CXLDCD_RC_FEATURE_TRANSFER_OUT_OF_ORDER: return "Feature Transfer Out of Order";
	case CXLDCD_RC_RESOURCES_EXHAUSTED: return "Resources Exhausted";
	case CXLDCD_RC_INVALID_EXTENT_LIST: return "Invalid Extent List";
	case CXLDCD_RC_TRANSFER_OUT_OF_ORDER: return "Transfer Out of Order";
	case CXLDCD_RC_REQUEST_ABORT_NOT_SUPPORTED:
		return "Request Abort Not Supported by Background Operation";
	}
	return "Unknown Return Code";
}
