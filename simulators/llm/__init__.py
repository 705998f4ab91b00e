"""A deterministic OpenAI-compatible chat-completions stand-in (the legal assistant's optional generation)."""

from simulators.llm.server import LlmServer, LlmState, compose, parse_prompt, start_llm_server

__all__ = ["LlmServer", "LlmState", "compose", "parse_prompt", "start_llm_server"]
