# The released code's three nets (AV-Robustness-CVPR21), re-typed from ORIGINAL.md's
# description: ANet (4 blocks of 2 x Conv1d k3 s2 p1 -> BN -> ReLU, MaxPool1d(2) after each,
# global max pool), the frame net (resnet18's children minus fc -- its avgpool included --
# then a global max pool) and Classifier_Concat (fc1 on cat(f_v, f_a)). Random weights and
# BN statistics, saved as the training script saves them, plus their logits on one
# normalised 64 px frame and one 8192-sample waveform.
#   usage: make_original_checkpoints.py OUT_DIR   (writes sound/frame/classifier_best.pth, logits.txt)
import sys, torch, torchvision
import torch.nn as nn, torch.nn.functional as F
torch.manual_seed(1)
out = sys.argv[1]
layers, cin = [], 1
for c in (64, 128, 256, 512):
    for _ in range(2):
        layers += [nn.Conv1d(cin, c, 3, 2, 1), nn.BatchNorm1d(c), nn.ReLU()]; cin = c
    layers.append(nn.MaxPool1d(2, 2))
sound = nn.Sequential(); sound.features = nn.Sequential(*layers)
frame = nn.Sequential(); frame.features = nn.Sequential(*list(torchvision.models.resnet18().children())[:-1])
head = nn.Sequential(); head.fc1 = nn.Linear(1024, 5)
for net in (sound, frame):
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.1, 0.1); m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5); m.bias.data.uniform_(-0.1, 0.1)
for net in (sound, frame, head): net.eval()
torch.save(sound.state_dict(), out + "/sound_best.pth")
torch.save(frame.state_dict(), out + "/frame_best.pth")
torch.save(head.state_dict(), out + "/classifier_best.pth")
x = torch.linspace(0, 1, 3 * 64 * 64).reshape(1, 3, 64, 64)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
a = 0.5 * torch.sin(torch.arange(8192.0) * 0.05).reshape(1, 1, 8192)
with torch.no_grad():
    f_v = F.adaptive_max_pool2d(frame.features((x - mean) / std), 1).view(1, 512)
    f_a = F.adaptive_max_pool1d(sound.features(a), 1).view(1, 512)
    logits = head.fc1(torch.cat((f_v, f_a), -1))[0]
open(out + "/logits.txt", "w").write(" ".join("%.9g" % v for v in logits.tolist()))
