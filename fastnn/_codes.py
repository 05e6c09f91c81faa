"""Integer codes the kernels understand (shared by both backends and the Python layer)."""

# Losses, computed from the output layer's pre-activations ("logits").
SQUARED_ERROR = 0  # identity output, mean squared error
LOG_LOSS = 1  # one sigmoid output, binary cross-entropy
SOFTMAX_LOG_LOSS = 2  # softmax over the outputs, categorical cross-entropy

LOSS_CODES = {"squared_error": SQUARED_ERROR, "log_loss": LOG_LOSS}

# Hidden-layer activations.
SIGMOID = 0
TANH = 1
RELU = 2

ACTIVATION_CODES = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU}

# Parameter updates of the MLP training loop.
MOMENTUM = 0  # theta += v, v = momentum * v - lr * grad (plain gradient steps when momentum = 0)
ADAM = 1

# What ended a training loop.
MAX_ITER = 0
CONVERGED = 1
DIVERGED = 2
