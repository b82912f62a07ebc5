"""Running a shown source as a learner would copy it: in a namespace of plain imports only."""


def exec_copy(source: str, namespace: dict, label: str = "<copy>") -> dict:
    """Execute ``source`` in ``namespace`` (e.g. keras, layers, ops, np) and return it.

    A copied Keras class registers itself under the package's serialisation name; the
    registry is restored afterwards, so the rest of the test session sees the package's
    classes.
    """
    import keras  # here, not at import: test modules call mmtutor.setup() before TensorFlow loads

    registered = dict(keras.saving.get_custom_objects())
    try:
        exec(compile(source, label, "exec"), namespace)
    finally:
        keras.saving.get_custom_objects().clear()
        keras.saving.get_custom_objects().update(registered)
    return namespace
