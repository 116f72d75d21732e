"""The FLAMe collection: importing this package registers every source's seqio tasks and the
mixtures (installed as `flame_tasks`; gin's MIXTURE_OR_TASK_MODULE = "flame_tasks").

One module per source family; each declares its `Source`s and registers its tasks with
`flame_jax.data.registry.register`, so adding a source is adding a module (and its golden
test). Modules are imported in name order; `mixtures` comes last because it mixes what the
source modules registered.
"""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "mixtures":
        importlib.import_module(f"{__name__}.{_module}")
if importlib.util.find_spec(f"{__name__}.mixtures"):
    importlib.import_module(f"{__name__}.mixtures")
