"""Model identity across sources: who makes a model, its id, and who serves it.

Every catalog spells the same model differently: OpenRouter `openai/sora-2`,
LiteLLM `sora-2`, `azure/sora-2`, `openrouter/openai/gpt-4o`,
`bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0`, models.dev
`google-vertex/claude-3-5-sonnet@20241022`. `resolve` maps each to the maker
(`provider`), the maker's id (`model`) and, when a third party serves it, that
party (`distribution`). Disagreement checks compare the maker's own dates only
with rows whose distribution is None, so a wrong None costs a false alarm while
a wrong distribution only costs a missed comparison: when unsure, we name the
route.

An id is read as `[route/][namespace/]model[:variant]`:
- route: a platform or API the id is routed through (LiteLLM's prefix, a
  models.dev provider, the `litellm_provider` hint). A route is the maker's own
  API for the makers in `_Route.makers`; any other route is a distribution.
- namespace: the maker as the source spells it (`meta-llama`, `x-ai`, `Qwen`).
- model: what is left, with platform decorations removed (Bedrock geo prefixes
  and `-v1:0` revisions, Vertex `@date`, `-maas`) so it matches the maker's id.
- variant: OpenRouter's `:free`, `:batch`, ... suffixes.
Without a namespace the maker is inferred from well-known model prefixes
(`gpt-` → openai, `claude` → anthropic, ...), else the route's own maker, else
the route itself.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Final

UNKNOWN_PROVIDER: Final = "unknown"


@dataclasses.dataclass(frozen=True, slots=True)
class Identity:
    provider: str  # the maker, canonical ("openai", "x-ai", "meta")
    model: str  # the maker's id, as far as we can tell
    distribution: str | None = None  # who serves it when not the maker's own API
    variant: str | None = None  # OpenRouter suffix without the colon: "free", "batch"


@dataclasses.dataclass(frozen=True, slots=True)
class _Route:
    name: str  # the distribution name this route reports
    makers: tuple[str, ...] = ()  # makers whose own API this is; [0] is the default maker


# Namespace spellings → canonical maker. OpenRouter's spellings win where the
# sources differ ("x-ai", "z-ai"); values are canonical makers themselves.
_MAKER_ALIASES: Final[dict[str, str]] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "meta": "meta",
    "meta-llama": "meta",
    "meta_llama": "meta",
    "mistral": "mistral",
    "mistralai": "mistral",
    "x-ai": "x-ai",
    "xai": "x-ai",
    "z-ai": "z-ai",
    "zai": "z-ai",
    "zai-org": "z-ai",
    "zhipuai": "z-ai",
    "deepseek": "deepseek",
    "deepseek-ai": "deepseek",
    "qwen": "qwen",
    "moonshotai": "moonshotai",
    "moonshot": "moonshotai",
    "minimax": "minimax",
    "minimaxai": "minimax",
    "amazon": "amazon",
    "cohere": "cohere",
    "ai21": "ai21",
    "microsoft": "microsoft",
    "nvidia": "nvidia",
    "stability": "stability",
    "stabilityai": "stability",
    "black-forest-labs": "black-forest-labs",
    "voyageai": "voyageai",
    "ibm": "ibm",
    "ibm-granite": "ibm",
    "writer": "writer",
    "twelvelabs": "twelvelabs",
    "perplexity": "perplexity",
}

# Routes by spelling (lower case). Names not listed are routes of their own
# (`deepgram`, `groq`): first-party for themselves, a distribution for any
# model whose maker is known to be someone else.
_ROUTES: Final[dict[str, _Route]] = {
    "openai": _Route("openai", ("openai",)),
    "text-completion-openai": _Route("openai", ("openai",)),
    "anthropic": _Route("anthropic", ("anthropic",)),
    "google": _Route("google", ("google",)),
    "gemini": _Route("gemini", ("google",)),  # Google AI Studio: Google's own API
    "palm": _Route("palm", ("google",)),
    "mistral": _Route("mistral", ("mistral",)),
    "codestral": _Route("codestral", ("mistral",)),
    "text-completion-codestral": _Route("codestral", ("mistral",)),
    "xai": _Route("xai", ("x-ai",)),
    "zai": _Route("zai", ("z-ai",)),
    "zhipuai": _Route("zhipuai", ("z-ai",)),
    "deepseek": _Route("deepseek", ("deepseek",)),
    "cohere": _Route("cohere", ("cohere",)),
    "cohere_chat": _Route("cohere", ("cohere",)),
    "moonshot": _Route("moonshot", ("moonshotai",)),
    "moonshotai": _Route("moonshotai", ("moonshotai",)),
    "dashscope": _Route("dashscope", ("qwen", "alibaba")),
    "alibaba": _Route("alibaba", ("alibaba", "qwen")),
    "meta_llama": _Route("meta_llama", ("meta",)),
    "meta": _Route("meta", ("meta",)),
    "llama": _Route("llama", ("meta",)),
    "amazon_nova": _Route("amazon_nova", ("amazon",)),
    "amazon-nova": _Route("amazon_nova", ("amazon",)),
    "nova": _Route("amazon_nova", ("amazon",)),
    "voyage": _Route("voyage", ("voyageai",)),
    "minimax": _Route("minimax", ("minimax",)),
    # Multi-maker platforms whose ids carry no maker namespace: listed so that an
    # id like `azure/sora-2` is read as a route even without a hint.
    "azure": _Route("azure"),
    "azure_text": _Route("azure"),
    "azure_ai": _Route("azure_ai"),
    "bedrock": _Route("bedrock"),
    "bedrock_converse": _Route("bedrock"),
    "bedrock_mantle": _Route("bedrock"),
    "amazon-bedrock": _Route("bedrock"),
    "vertex_ai": _Route("vertex_ai"),
    "google-vertex": _Route("vertex_ai"),
    "google-vertex-anthropic": _Route("vertex_ai"),
    "openrouter": _Route("openrouter"),
    "fireworks_ai": _Route("fireworks_ai"),
    "fireworks-ai": _Route("fireworks_ai"),
    "together_ai": _Route("together_ai"),
    "togetherai": _Route("together_ai"),
    "vercel_ai_gateway": _Route("vercel"),
    "vercel": _Route("vercel"),
    "github_copilot": _Route("github_copilot"),
    "github-copilot": _Route("github_copilot"),
    "chatgpt": _Route("chatgpt"),  # ChatGPT plans have their own lifecycle
    "novita": _Route("novita"),
    "novita-ai": _Route("novita"),
    "cloudflare": _Route("cloudflare"),
    "cloudflare-workers-ai": _Route("cloudflare"),
    "groq": _Route("groq"),
    "cerebras": _Route("cerebras"),
    "deepinfra": _Route("deepinfra"),
    "databricks": _Route("databricks"),
    "snowflake": _Route("snowflake"),
    "oci": _Route("oci"),
    "sambanova": _Route("sambanova"),
    "replicate": _Route("replicate"),
    "heroku": _Route("heroku"),
    "gradient_ai": _Route("gradient_ai"),
}

# LiteLLM sub-providers such as `vertex_ai-anthropic_models` route like their stem.
_ROUTE_STEMS: Final = ("vertex_ai", "fireworks_ai")

# Well-known model-name prefixes → maker, for ids that carry no namespace. Only
# prefixes that no other maker uses (`nova` is Amazon's and Deepgram's: absent).
_MAKER_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), maker)
    for pattern, maker in (
        (
            # `text-embedding-3-*` and `-ada-*` are OpenAI's; `text-embedding-004/005` are Google's.
            r"gpt-|gpt\d|o[1-9](-|$)|sora|dall-e|chatgpt|text-embedding-(3|ada)|whisper|tts-|"
            r"davinci|babbage|omni-moderation|text-moderation|codex",
            "openai",
        ),
        (r"claude", "anthropic"),
        (r"gemini|gemma|imagen|veo-|text-bison|chat-bison|chirp|text-embedding-0|textembedding-|"
         r"text-multilingual-embedding", "google"),
        (
            r"mistral|mixtral|codestral|pixtral|ministral|magistral|devstral|voxtral|"
            r"open-mistral|open-mixtral",
            "mistral",
        ),
        (r"llama|meta-llama|codellama|code-llama", "meta"),
        (r"grok", "x-ai"),
        (r"glm", "z-ai"),
        (r"deepseek", "deepseek"),
        (r"qwen|qwq", "qwen"),
        (r"command|embed-english|embed-multilingual|rerank-english|rerank-multilingual", "cohere"),
        (r"kimi|moonshot-", "moonshotai"),
        (r"jamba|j2-", "ai21"),
        (r"phi-", "microsoft"),
        (r"minimax", "minimax"),
    )
)

# Path segments that decorate an id without naming anything: image sizes and
# qualities, step counts, cloud regions, commitments, Cloudflare's `@cf`.
_NOISE_SEGMENT: Final = re.compile(
    r"^(\d+-x-\d+|max-x-max|(\d+|max)-steps|low|medium|high|standard|hd|\*|@cf|@hf|"
    r"\d+-month-commitment|us|eu|global|global-standard|apac|au|jp|"
    r"[a-z]{2}(-gov)?-[a-z]+-\d+)$"
)
# Bedrock: `us.anthropic.claude-3-5-haiku-20241022-v1:0`.
_DOTTED: Final = re.compile(r"^(?:(?:us|eu|apac|au|jp|ca|sa|global|us-gov)\.)?([a-z0-9-]+)\.(.+)$")
_BEDROCK_REVISION: Final = re.compile(r"(-\d{8})-v\d+:\d+$")
_ANY_REVISION: Final = re.compile(r"()-v\d+(?::\d+)?$")
_VARIANT: Final = re.compile(
    r":(free|batch|thinking|extended|beta|nitro|floor|online|exacto)$"
)
_DOTTED_VENDORS: Final = frozenset(_MAKER_ALIASES) | {"luma", "moonshotai"}


def _route(name: str) -> _Route:
    key = name.strip().lower()
    if key in _ROUTES:
        return _ROUTES[key]
    for stem in _ROUTE_STEMS:
        if key.startswith(stem + "-"):
            return _ROUTES[stem]
    maker = _MAKER_ALIASES.get(key, key)
    return _Route(key, (maker,))


def _maker_of_namespace(namespace: str) -> str:
    key = namespace.lower()
    return _MAKER_ALIASES.get(key, key)


def infer_maker(model: str) -> str | None:
    """The maker a bare model id belongs to, from well-known prefixes; None if unsure."""
    text = model.lower().removeprefix("ft:")
    for pattern, maker in _MAKER_PATTERNS:
        if pattern.match(text):
            return maker
    return None


def _is_route(segment: str, hint: _Route | None, rest: list[str]) -> bool:
    key = segment.lower()
    if hint is not None:
        return _route(key).name == hint.name
    if key in _MAKER_ALIASES:
        return False  # `openai/sora-2`, `x-ai/grok-4`: a namespace, not a route
    if key in _ROUTES or any(key.startswith(stem + "-") for stem in _ROUTE_STEMS):
        return True
    # `somegateway/openai/gpt-4o`: an unknown prefix in front of a known maker.
    return len(rest) >= 2 and rest[0].lower() in _MAKER_ALIASES


def _strip_segments(segments: list[str]) -> list[str]:
    # Fireworks: `accounts/<account>/models/<id>` (or `/routers/`).
    if "accounts" in segments[:-1]:
        at = segments.index("accounts")
        tail = segments[at + 2 :]
        if tail and tail[0] in ("models", "routers"):
            tail = tail[1:]
        segments = segments[:at] + tail
    kept = [s for s in segments[:-1] if not _NOISE_SEGMENT.match(s)]
    return kept + segments[-1:]


def _normalise_model(model: str) -> str:
    if model.endswith("@default"):
        model = model.removesuffix("@default")
    model = re.sub(r"@(\d{8})$", r"-\1", model)  # Vertex `claude-3-5-sonnet@20240620`
    return model.removesuffix("-maas")


def _strip_maker_prefix(model: str, route: _Route | None) -> tuple[str, str | None]:
    """`databricks-claude-opus-4`, `openai-gpt-5-mini` → the id and its maker."""
    lowered = model.lower()
    prefixes = [m for m in _MAKER_ALIASES if lowered.startswith(m + "-")]
    if route is not None and lowered.startswith(route.name + "-"):
        prefixes.append(route.name)
    for prefix in prefixes:
        rest = model[len(prefix) + 1 :]
        maker = infer_maker(rest)
        # Only when the rest is recognisably that maker's: `mistral-large` stays whole.
        is_route_prefix = route is not None and prefix == route.name
        if maker is not None and (is_route_prefix or _maker_of_namespace(prefix) == maker):
            return rest, maker
    return model, None


@functools.lru_cache(maxsize=32768)
def resolve(source_id: str, provider_hint: str | None = None) -> Identity:
    """The canonical identity of `source_id`; `provider_hint` is the source's own
    provider field (LiteLLM's `litellm_provider`, a models.dev provider id)."""
    text = source_id.strip().lstrip("~")
    variant_match = _VARIANT.search(text)
    variant = variant_match.group(1) if variant_match else None
    if variant_match:
        text = text[: variant_match.start()]
    hint = _route(provider_hint) if provider_hint else None
    segments = _strip_segments([s for s in text.split("/") if s])
    if not segments:
        return Identity(UNKNOWN_PROVIDER, source_id, None, variant)

    route = hint
    if len(segments) > 1 and _is_route(segments[0], hint, segments[1:]):
        route = _route(segments[0])
        segments = _strip_segments(segments[1:])

    maker: str | None = None
    if len(segments) == 2 or (len(segments) > 2 and segments[0].lower() in _MAKER_ALIASES):
        maker = _maker_of_namespace(segments[0])
        segments = segments[1:]
    model = "/".join(segments)

    dotted = _DOTTED.match(model)
    if dotted and dotted.group(1) in _DOTTED_VENDORS:
        maker = maker or _maker_of_namespace(dotted.group(1))
        # `vendor.model-v1:0` is Bedrock's spelling: without a route it is still Bedrock's row.
        route = route or _ROUTES["bedrock"]
        model = dotted.group(2)
        # Claude's own ids carry no `-v1`/`-v2:0`; Amazon's and Meta's ids do, so
        # elsewhere only a revision after a date is Bedrock's.
        revision = _ANY_REVISION if dotted.group(1) == "anthropic" else _BEDROCK_REVISION
        model = revision.sub(r"\1", model)

    model = _normalise_model(model)
    if maker is None:
        maker = infer_maker(model)
    if maker is None:
        model, maker = _strip_maker_prefix(model, route)
    if maker is None and route is not None:
        maker = route.makers[0] if route.makers else route.name
    maker = maker or UNKNOWN_PROVIDER

    distribution = None
    if route is not None and maker not in route.makers and maker != route.name:
        distribution = route.name
    return Identity(maker, model, distribution, variant)
