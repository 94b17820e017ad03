"""Strict request models for the Gemini emulator (https://ai.google.dev/api).

Field names are the camelCase of the REST examples; anything undeclared is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

GeminiRatio = Literal["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
ImagenRatio = Literal["1:1", "3:4", "4:3", "9:16", "16:9"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Blob(_Strict):
    mimeType: str
    data: str


class Part(_Strict):
    text: str | None = None
    inlineData: Blob | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Part:
        if (self.text is None) == (self.inlineData is None):
            raise ValueError("a part holds exactly one of text or inlineData")
        return self


class Content(_Strict):
    role: Literal["user", "model"] | None = None
    parts: list[Part] = Field(min_length=1)


class ImageConfig(_Strict):
    # 4:5 and 5:4 are served though missing from the SDK doc string (§4.1: lenient).
    aspectRatio: GeminiRatio | None = None
    imageSize: Literal["1K", "2K", "4K"] | None = None


class GenerationConfig(_Strict):
    responseModalities: list[Literal["TEXT", "IMAGE"]] | None = None
    imageConfig: ImageConfig | None = None
    candidateCount: int | None = Field(default=None, ge=1, le=1)
    temperature: float | None = Field(default=None, ge=0, le=2)


class SafetySetting(_Strict):
    category: str
    threshold: str


class GenerateContentRequest(_Strict):
    contents: list[Content] = Field(min_length=1)
    generationConfig: GenerationConfig | None = None
    safetySettings: list[SafetySetting] | None = None
    systemInstruction: Content | None = None


class Instance(_Strict):
    prompt: str = Field(min_length=1)


class OutputOptions(_Strict):
    mimeType: Literal["image/png", "image/jpeg"] = "image/png"
    compressionQuality: int | None = Field(default=None, ge=0, le=100)


class PredictParameters(_Strict):
    """Imagen on the Gemini API; Vertex-only fields (negativePrompt, seed…) are refused."""

    sampleCount: int | None = Field(default=None, ge=1, le=4)
    aspectRatio: ImagenRatio | None = None
    # The SDK sends uppercase, REST samples lowercase: both accepted; ALLOW_ALL is not (§4.3).
    personGeneration: Literal["DONT_ALLOW", "ALLOW_ADULT", "dont_allow", "allow_adult"] | None = (
        None
    )
    guidanceScale: float | None = None
    safetySetting: (
        Literal["BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH"] | None
    ) = None
    includeSafetyAttributes: bool | None = None
    includeRaiReason: bool | None = None
    language: str | None = None
    outputOptions: OutputOptions | None = None
    sampleImageSize: Literal["1K", "2K"] | None = None


class PredictRequest(_Strict):
    instances: list[Instance] = Field(min_length=1, max_length=1)
    parameters: PredictParameters | None = None
