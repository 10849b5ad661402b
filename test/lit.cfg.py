# lit.cfg.py: the mcunet lit suite (mcunet-opt and mcunetc checked with FileCheck).
import os
import lit.formats

config.name = "mcunet"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["e2e", "Inputs", "models", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mcunet_binary_dir, "test")
path = os.pathsep.join([config.mcunet_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
config.substitutions.append(("%mcunet-opt", os.path.join(config.mcunet_tools_dir, "mcunet-opt")))
config.substitutions.append(("%mcunetc", os.path.join(config.mcunet_tools_dir, "mcunetc")))
config.substitutions.append(("%mcunet-run", os.path.join(config.mcunet_tools_dir, "mcunet-run")))
config.substitutions.append(("%onnx-testdata", "/usr/share/libonnx-testdata/data/node"))
config.substitutions.append(("%shared", config.mcunet_shared_dir))
config.substitutions.append(("%python", "/usr/bin/python3"))
