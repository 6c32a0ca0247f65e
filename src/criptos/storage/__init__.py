"""Storage primitives below the datasets, with no Kedro in them.

``local_files``: the local disk's atomic steps (``renameat2`` exchange and
no-replace, ``fsync``, hidden staging names, ``put_in_place``/``publish_folder``) and
the one sweep of the leftovers dead writers leave, used by the feature tables, the
Spark datasets and the model registry (``criptos.registry``).
"""
