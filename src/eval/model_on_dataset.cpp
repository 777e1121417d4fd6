#include "avr/eval/model_on_dataset.h"

#include "avr/models/checkpoint.h"

namespace avr {

ModelOnDataset open_model_on_dataset(const std::filesystem::path& checkpoint,
                                     const DatasetSpec& spec, const torch::Device& device) {
  auto loaded = load_checkpoint(checkpoint, device);
  ModelOnDataset m;
  m.model = loaded.model;
  m.model->eval();
  m.metadata = loaded.metadata;
  m.spec = spec.resolved();
  m.classes = m.metadata.contains("classes")
                  ? m.metadata.at("classes").get<std::vector<std::string>>()
                  : dataset_classes(m.spec);
  m.clip.image_size = m.model->config().image_size;
  m.clip.audio_length = m.model->config().audio_length;
  if (m.metadata.contains("train") && m.metadata["train"].contains("loss"))
    m.training_loss = parse_loss(m.metadata["train"]["loss"].value("kind", std::string("ce")));
  return m;
}

}  // namespace avr
