"""Identity resolution on ids as the real catalogs spell them."""

from __future__ import annotations

import pytest

from watcher.identity import Identity, infer_maker, resolve

CASES: list[tuple[str, str | None, tuple[str, str, str | None]]] = [
    # OpenRouter: maker namespace, no hint; a pass-through is not a distribution.
    ("openai/sora-2", None, ("openai", "sora-2", None)),
    ("openai/sora-2-pro", None, ("openai", "sora-2-pro", None)),
    ("z-ai/glm-4.5", None, ("z-ai", "glm-4.5", None)),
    ("x-ai/grok-4", None, ("x-ai", "grok-4", None)),
    ("meta-llama/llama-3.1-8b-instruct", None, ("meta", "llama-3.1-8b-instruct", None)),
    ("mistralai/mistral-large", None, ("mistral", "mistral-large", None)),
    ("nvidia/llama-3.1-nemotron-70b-instruct", None, ("nvidia", "llama-3.1-nemotron-70b-instruct", None)),
    ("alibaba/wan-2.7", None, ("alibaba", "wan-2.7", None)),
    ("~openai/gpt-latest", None, ("openai", "gpt-latest", None)),
    ("openrouter/auto", None, ("openrouter", "auto", None)),
    # LiteLLM: key plus litellm_provider.
    ("sora-2", "openai", ("openai", "sora-2", None)),
    ("gpt-4o", "openai", ("openai", "gpt-4o", None)),
    ("ft:gpt-4o-2024-08-06", "openai", ("openai", "ft:gpt-4o-2024-08-06", None)),
    ("davinci-002", "text-completion-openai", ("openai", "davinci-002", None)),
    ("high/1024-x-1536/gpt-image-1", "openai", ("openai", "gpt-image-1", None)),
    ("claude-3-7-sonnet-20250219", "anthropic", ("anthropic", "claude-3-7-sonnet-20250219", None)),
    ("command-r", "cohere_chat", ("cohere", "command-r", None)),
    ("azure/sora-2", "azure", ("openai", "sora-2", "azure")),
    ("azure/eu/gpt-4o-2024-08-06", "azure", ("openai", "gpt-4o-2024-08-06", "azure")),
    ("azure/gpt-35-turbo-instruct", "azure_text", ("openai", "gpt-35-turbo-instruct", "azure")),
    ("azure_ai/grok-3", "azure_ai", ("x-ai", "grok-3", "azure_ai")),
    ("openrouter/openai/gpt-4o", "openrouter", ("openai", "gpt-4o", "openrouter")),
    ("gemini/gemini-2.5-pro", "gemini", ("google", "gemini-2.5-pro", None)),
    ("gemini-2.5-pro", "vertex_ai-language-models", ("google", "gemini-2.5-pro", "vertex_ai")),
    ("vertex_ai/gemini-2.5-pro", "vertex_ai-language-models", ("google", "gemini-2.5-pro", "vertex_ai")),
    ("vertex_ai/claude-3-sonnet@20240229", "vertex_ai-anthropic_models",
     ("anthropic", "claude-3-sonnet-20240229", "vertex_ai")),
    ("vertex_ai/claude-opus-4-8@default", "vertex_ai-anthropic_models",
     ("anthropic", "claude-opus-4-8", "vertex_ai")),
    ("vertex_ai/meta/llama-3.1-405b-instruct-maas", "vertex_ai-llama_models",
     ("meta", "llama-3.1-405b-instruct", "vertex_ai")),
    ("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "bedrock",
     ("anthropic", "claude-3-5-haiku-20241022", "bedrock")),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock",
     ("anthropic", "claude-3-5-sonnet-20241022", "bedrock")),
    ("bedrock/us-east-1/anthropic.claude-3-haiku-20240307-v1:0", "bedrock",
     ("anthropic", "claude-3-haiku-20240307", "bedrock")),
    ("bedrock/*/6-month-commitment/cohere.command-text-v14", "bedrock",
     ("cohere", "command-text-v14", "bedrock")),
    ("1024-x-1024/50-steps/bedrock/amazon.nova-canvas-v1:0", "bedrock",
     ("amazon", "nova-canvas-v1:0", "bedrock")),
    ("au.anthropic.claude-sonnet-4-6", "bedrock_converse", ("anthropic", "claude-sonnet-4-6", "bedrock")),
    ("eu.anthropic.claude-opus-4-6-v1", "bedrock_converse", ("anthropic", "claude-opus-4-6", "bedrock")),
    ("amazon.nova-pro-v1:0", "bedrock_converse", ("amazon", "nova-pro-v1:0", "bedrock")),
    ("meta.llama3-1-70b-instruct-v1:0", "bedrock", ("meta", "llama3-1-70b-instruct-v1:0", "bedrock")),
    ("oci/xai.grok-4", "oci", ("x-ai", "grok-4", "oci")),
    ("fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct", "fireworks_ai",
     ("meta", "llama-v3p1-8b-instruct", "fireworks_ai")),
    ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai",
     ("meta", "Llama-3.3-70B-Instruct-Turbo", "together_ai")),
    ("cloudflare/@cf/meta/llama-4-scout-17b-16e-instruct", "cloudflare",
     ("meta", "llama-4-scout-17b-16e-instruct", "cloudflare")),
    ("groq/llama-3.3-70b-versatile", "groq", ("meta", "llama-3.3-70b-versatile", "groq")),
    ("databricks/databricks-claude-opus-4", "databricks", ("anthropic", "claude-opus-4", "databricks")),
    ("snowflake/openai-gpt-5-mini", "snowflake", ("openai", "gpt-5-mini", "snowflake")),
    ("chatgpt/gpt-5.4", "chatgpt", ("openai", "gpt-5.4", "chatgpt")),
    ("xai/grok-4", "xai", ("x-ai", "grok-4", None)),
    ("zai/glm-4.6", "zai", ("z-ai", "glm-4.6", None)),
    ("mistral/mistral-large-latest", "mistral", ("mistral", "mistral-large-latest", None)),
    ("dashscope/qwen-max", "dashscope", ("qwen", "qwen-max", None)),
    ("perplexity/sonar", "perplexity", ("perplexity", "sonar", None)),
    ("perplexity/openai/gpt-5.2", "perplexity", ("openai", "gpt-5.2", "perplexity")),
    # A provider not in any table is its own maker; it distributes others' models.
    ("deepgram/nova-3", "deepgram", ("deepgram", "nova-3", None)),
    ("deepgram/whisper-base", "deepgram", ("openai", "whisper-base", "deepgram")),
    ("kimi-k2-thinking-251104", "volcengine", ("moonshotai", "kimi-k2-thinking-251104", "volcengine")),
    # models.dev: f"{provider_id}/{model_id}" with the provider id as hint.
    ("openai/gpt-4o", "openai", ("openai", "gpt-4o", None)),
    ("google/gemini-2.5-pro", "google", ("google", "gemini-2.5-pro", None)),
    ("google-vertex/gemini-2.5-pro", "google-vertex", ("google", "gemini-2.5-pro", "vertex_ai")),
    ("google-vertex-anthropic/claude-3-5-sonnet@20241022", "google-vertex-anthropic",
     ("anthropic", "claude-3-5-sonnet-20241022", "vertex_ai")),
    ("amazon-bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon-bedrock",
     ("anthropic", "claude-3-5-sonnet-20240620", "bedrock")),
    ("openrouter/anthropic/claude-opus-4.6", "openrouter", ("anthropic", "claude-opus-4.6", "openrouter")),
    ("nvidia/meta/llama-3.1-70b-instruct", "nvidia", ("meta", "llama-3.1-70b-instruct", "nvidia")),
    ("zai-coding-plan/glm-4.6", "zai-coding-plan", ("z-ai", "glm-4.6", "zai-coding-plan")),
    ("github-copilot/claude-sonnet-4", "github-copilot", ("anthropic", "claude-sonnet-4", "github_copilot")),
]


@pytest.mark.parametrize(("source_id", "hint", "expected"), CASES)
def test_resolve(source_id: str, hint: str | None, expected: tuple[str, str, str | None]) -> None:
    identity = resolve(source_id, hint)
    assert (identity.provider, identity.model, identity.distribution) == expected


def test_identity_is_frozen_value() -> None:
    identity = resolve("openai/sora-2")
    assert identity == Identity("openai", "sora-2", None)
    with pytest.raises(AttributeError):
        identity.model = "other"  # type: ignore[misc]


def test_hint_matches_route_spelled_differently() -> None:
    # LiteLLM sub-providers and models.dev spellings route like their stem.
    assert resolve("vertex_ai/imagen-4.0-generate-001", "vertex_ai-image-models").distribution == "vertex_ai"
    assert resolve("fireworks_ai/nomic-ai/nomic-embed-text-v1.5", "fireworks_ai-embedding-models") == Identity(
        "nomic-ai", "nomic-embed-text-v1.5", "fireworks_ai"
    )
    assert resolve("amazon-nova/nova-micro-v1", "amazon_nova") == Identity("amazon", "nova-micro-v1")


def test_openrouter_variants_are_split_off() -> None:
    assert resolve("nvidia/nemotron-nano-12b-v2-vl:free") == Identity(
        "nvidia", "nemotron-nano-12b-v2-vl", None, "free"
    )
    assert resolve("openai/text-embedding-3-large:batch").variant == "batch"
    # Ollama tags and Bedrock revisions are part of the id, not variants.
    assert resolve("ollama/llama2:70b", "ollama").model == "llama2:70b"
    assert resolve("amazon.nova-pro-v1:0", "bedrock").model == "nova-pro-v1:0"


def test_sources_agree_on_sora() -> None:
    spellings = [("openai/sora-2", None), ("sora-2", "openai"), ("openai/sora-2", "openai")]
    assert {resolve(s, h) for s, h in spellings} == {Identity("openai", "sora-2")}
    azure = resolve("azure/sora-2", "azure")
    assert (azure.provider, azure.model) == ("openai", "sora-2")
    assert azure.distribution == "azure"


@pytest.mark.parametrize(
    ("model", "maker"),
    [
        ("o1", "openai"), ("o3-mini", "openai"), ("o4-mini-deep-research", "openai"),
        ("dall-e-3", "openai"), ("chatgpt-4o-latest", "openai"), ("text-embedding-3-small", "openai"),
        ("whisper-1", "openai"), ("tts-1-hd", "openai"), ("babbage-002", "openai"),
        ("claude-opus-4-8", "anthropic"), ("gemma-3-27b-it", "google"), ("codestral-2405", "mistral"),
        ("Llama-4-Scout", "meta"), ("grok-4", "x-ai"), ("glm-4.5", "z-ai"), ("QwQ-32B", "qwen"),
        ("omni", None), ("nova-3", None), ("o1x", None), ("sonar", None), ("palmyra-x5", None),
    ],
)
def test_infer_maker(model: str, maker: str | None) -> None:
    assert infer_maker(model) == maker


def test_unknown_without_any_clue() -> None:
    assert resolve("something") == Identity("unknown", "something")
    assert resolve("something", "acme") == Identity("acme", "something")


# Without a provider hint (a catalog key alone, `watcher show azure/sora-2`): the first
# segment is a route when it names a platform, a namespace when it names a maker.
UNHINTED: list[tuple[str, tuple[str, str, str | None]]] = [
    ("azure/sora-2", ("openai", "sora-2", "azure")),
    ("azure/eu/gpt-4o-2024-08-06", ("openai", "gpt-4o-2024-08-06", "azure")),
    ("bedrock/anthropic.claude-3-opus-20240229-v1:0", ("anthropic", "claude-3-opus-20240229", "bedrock")),
    ("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", ("anthropic", "claude-3-5-haiku-20241022", "bedrock")),
    ("bedrock/amazon.nova-canvas-v1:0", ("amazon", "nova-canvas-v1:0", "bedrock")),
    ("vertex_ai/claude-3-opus@20240229", ("anthropic", "claude-3-opus-20240229", "vertex_ai")),
    ("vertex_ai-anthropic_models/claude-3-opus@20240229", ("anthropic", "claude-3-opus-20240229", "vertex_ai")),
    ("google-vertex/gemini-2.5-pro", ("google", "gemini-2.5-pro", "vertex_ai")),
    ("azure_ai/grok-3", ("x-ai", "grok-3", "azure_ai")),
    ("openrouter/openai/gpt-4o", ("openai", "gpt-4o", "openrouter")),
    ("somegateway/openai/gpt-4o", ("openai", "gpt-4o", "somegateway")),
    ("gemini/gemini-2.5-pro", ("google", "gemini-2.5-pro", None)),
    ("anthropic/claude-3-opus-20240229", ("anthropic", "claude-3-opus-20240229", None)),
    ("openai/sora-2", ("openai", "sora-2", None)),
    ("mistral/mistral-large-2402", ("mistral", "mistral-large-2402", None)),
    ("anthropic.claude-3-opus-20240229-v1:0", ("anthropic", "claude-3-opus-20240229", "bedrock")),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", ("anthropic", "claude-sonnet-4-20250514", "bedrock")),
    ("claude-3-opus-20240229", ("anthropic", "claude-3-opus-20240229", None)),
]


@pytest.mark.parametrize(("source_id", "expected"), UNHINTED)
def test_resolve_without_a_provider_hint(source_id: str, expected: tuple[str, str, str | None]) -> None:
    identity = resolve(source_id)
    assert (identity.provider, identity.model, identity.distribution) == expected
