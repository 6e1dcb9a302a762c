"""Essay scoring stages: cross-validate, train and register, evaluate the champion."""
