// The tiny training setup the train tests share: the embedded-tiny preset on
// test::write_tiny_dataset's clips (32 px input, 4096-sample window), batches of
// 4, one loader thread. kind: av (Concat fusion), audio or visual.
#pragma once

#include <string>

#include "avr/train/train_config.h"

namespace avr::test {

inline TrainConfig tiny_train_config(const std::string& kind, int epochs, const std::string& loss = "ce") {
  TrainConfig c = train_preset("embedded-tiny");
  c.model.kind = parse_model_kind(kind);
  c.model.fusion = kind == "av" ? FusionKind::Concat : FusionKind::None;
  c.model.image_size = 32;
  c.model.audio_length = 4096;
  c.loss.kind = parse_loss(loss);
  c.batch_size = 4;
  c.epochs = epochs;
  c.workers = 1;
  return c;
}

}  // namespace avr::test
