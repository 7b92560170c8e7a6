"""The built-in demo: synthetic espeak-ng "acted" corpora (`synth`), their corpus specs
(`corpora`) and the pipeline that runs every stage on them (`pipeline`)."""

from emobox.demo.synth import DemoSpec, synthesise_demo

__all__ = ["DemoSpec", "synthesise_demo"]
