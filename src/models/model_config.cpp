#include "avr/models/model_config.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "avr/core/enum_names.h"
#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/models/audio_net.h"

namespace avr {
namespace {

constexpr EnumNames<ModelKind, 4> kKindNames{"model kind",
                                              {{{ModelKind::AudioVisual, "av"},
                                                {ModelKind::Audio, "audio"},
                                                {ModelKind::Visual, "visual"},
                                                {ModelKind::Localizer, "localizer"}}}};

constexpr EnumNames<FusionKind, 6> kFusionNames{"fusion",
                                                {{{FusionKind::None, ""},
                                                  {FusionKind::Sum, "sum"},
                                                  {FusionKind::Concat, "concat"},
                                                  {FusionKind::Film, "film"},
                                                  {FusionKind::GatedSum, "gated_sum"},
                                                  {FusionKind::GatedConcat, "gated_concat"}}}};

}  // namespace

std::string to_string(ModelKind kind) { return kKindNames.name(kind); }

ModelKind parse_model_kind(const std::string& name) { return kKindNames.parse(name); }

std::ostream& operator<<(std::ostream& os, ModelKind kind) { return os << to_string(kind); }

void to_json(nlohmann::json& j, ModelKind kind) { j = to_string(kind); }

void from_json(const nlohmann::json& j, ModelKind& kind) {
  kind = kKindNames.from_json(j);
}

std::string to_string(FusionKind fusion) { return kFusionNames.name(fusion); }

FusionKind parse_fusion(const std::string& name) { return kFusionNames.parse(name); }

std::ostream& operator<<(std::ostream& os, FusionKind fusion) { return os << to_string(fusion); }

void to_json(nlohmann::json& j, FusionKind fusion) { j = to_string(fusion); }

void from_json(const nlohmann::json& j, FusionKind& fusion) {
  fusion = kFusionNames.from_json(j);
}

const std::vector<FusionKind>& fusion_kinds() {
  static const std::vector<FusionKind> kinds = {FusionKind::Sum, FusionKind::Concat, FusionKind::Film,
                                                FusionKind::GatedSum, FusionKind::GatedConcat};
  return kinds;
}

FusionKind ModelConfig::effective_fusion() const {
  if (kind == ModelKind::AudioVisual) return fusion;
  if (kind == ModelKind::Localizer) return FusionKind::Concat;
  return FusionKind::None;
}

void ModelConfig::validate() const {
  if (kind == ModelKind::AudioVisual) {
    AVR_CHECK(fusion != FusionKind::None, "an av model needs a fusion: use one of ", kFusionNames.list());
  } else {
    AVR_CHECK(fusion == FusionKind::None || fusion == FusionKind::Concat, "fusion '", fusion,
              "' only applies to kind 'av'; the ", kind, " model ",
              kind == ModelKind::Localizer ? "always uses concat" : "has no fusion",
              " (leave fusion empty or 'concat')");
  }
  AVR_CHECK(num_classes >= 2, "num_classes is ", num_classes,
            ": set it to the number of classes in the dataset (at least 2)");
  if (has_visual())
    AVR_CHECK(image_size >= 32 && image_size <= 4096, "image_size ", image_size,
              " is out of range: ResNet18 needs frames of 32 to 4096 px");
  if (has_audio())
    AVR_CHECK(audio_length >= audio_net_min_length() && audio_length <= (int64_t{1} << 24),
              "audio_length ", audio_length, " is out of range: the audio net needs ",
              audio_net_min_length(), " to 16777216 samples");
  AVR_CHECK(std::isfinite(attention_scale) && attention_scale > 0, "attention_scale ",
            attention_scale, " must be a positive number (1 is the paper's)");
  AVR_CHECK(attention_query == "audio" || attention_query == "projected", "attention_query '",
            attention_query, "' is unknown: use audio (the paper's f_a) or projected");
  AVR_CHECK(localizer_stride == 8 || localizer_stride == 16 || localizer_stride == 32,
            "localizer_stride ", localizer_stride, " must be 8, 16 or 32");
  AVR_CHECK(attention_map == "local" || attention_map == "final", "attention_map '", attention_map,
            "' is unknown: use local (ResNet18 layer2, stride 8) or final (the paper's last map)");
  AVR_CHECK(std::isfinite(attention_temperature) && attention_temperature > 0,
            "attention_temperature ", attention_temperature, " must be a positive number (default 5)");
  if (kind == ModelKind::Localizer && attention_map == "local") {
    AVR_CHECK(localizer_stride == 8, "attention_map local needs localizer_stride 8 (layer2's grid), got ",
              localizer_stride, ": set localizer_stride 8 or attention_map final");
    AVR_CHECK(attention_query == "projected",
              "attention_map local needs attention_query projected (the query is projected to the "
              "local keys' space), got '", attention_query, "'");
  }
  AVR_CHECK(visual_pool == "max" || visual_pool == "avg", "visual_pool '", visual_pool,
            "' is unknown: use max (the paper's) or avg (the authors' released code)");
}

std::string ModelConfig::mismatch(const ModelConfig& o) const {
  std::ostringstream os;
  os << std::boolalpha;
  auto diff = [&](const char* field, const auto& mine, const auto& theirs) {
    if (mine == theirs) return;
    os << (os.tellp() > 0 ? "; " : "") << field << " " << mine << " vs " << theirs;
  };
  diff("kind", kind, o.kind);
  diff("fusion", effective_fusion(), o.effective_fusion());
  diff("num_classes", num_classes, o.num_classes);
  if (has_visual() && o.has_visual()) diff("image_size", image_size, o.image_size);
  if (has_audio() && o.has_audio()) diff("audio_length", audio_length, o.audio_length);
  const FusionKind f = effective_fusion();
  if (f == FusionKind::GatedSum || f == FusionKind::GatedConcat)
    diff("gate_projection", gate_projection, o.gate_projection);
  if (has_visual() && kind != ModelKind::Localizer) diff("visual_pool", visual_pool, o.visual_pool);
  if (kind == ModelKind::Localizer) {
    diff("attention_scale", attention_scale, o.attention_scale);
    diff("attention_query", attention_query, o.attention_query);
    diff("localizer_stride", localizer_stride, o.localizer_stride);
    diff("attention_map", attention_map, o.attention_map);
    if (attention_map == "local") diff("attention_temperature", attention_temperature, o.attention_temperature);
  }
  return os.str();
}

void to_json(nlohmann::json& j, const ModelConfig& c) {
  j = nlohmann::json{{"kind", c.kind},
                     {"fusion", c.fusion},
                     {"num_classes", c.num_classes},
                     {"image_size", c.image_size},
                     {"audio_length", c.audio_length},
                     {"gate_projection", c.gate_projection},
                     {"attention_scale", c.attention_scale},
                     {"attention_query", c.attention_query},
                     {"localizer_stride", c.localizer_stride},
                     {"visual_pool", c.visual_pool},
                     {"seed", c.seed}};
  // Only localizers carry these, so adding them kept every other model's
  // config (and the study's step keys) as they were.
  if (c.kind == ModelKind::Localizer) {
    j["attention_map"] = c.attention_map;
    j["attention_temperature"] = c.attention_temperature;
  }
}

void from_json(const nlohmann::json& j, ModelConfig& c) {
  AVR_CHECK(j.is_object(), "model config must be a JSON object, got: ", j.dump());
  ModelConfig out;
  JsonFields f(j, "model config");
  f.require("kind", out.kind);
  f.require("num_classes", out.num_classes);
  f.read("fusion", out.fusion);
  f.read("image_size", out.image_size);
  f.read("audio_length", out.audio_length);
  f.read("gate_projection", out.gate_projection);
  f.read("attention_scale", out.attention_scale);
  f.read("attention_query", out.attention_query);
  f.read("localizer_stride", out.localizer_stride);
  // A localizer saved before attention_map existed attended on the last map.
  if (out.kind == ModelKind::Localizer) out.attention_map = "final";
  f.read("attention_map", out.attention_map);
  f.read("attention_temperature", out.attention_temperature);
  f.read("visual_pool", out.visual_pool);
  f.read("seed", out.seed);
  f.finish();
  out.validate();
  c = out;
}

}  // namespace avr
