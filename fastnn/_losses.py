"""Integer codes for the losses the kernels understand (shared by both backends)."""

SQUARED_ERROR = 0
LOG_LOSS = 1

LOSS_CODES = {"squared_error": SQUARED_ERROR, "log_loss": LOG_LOSS}
