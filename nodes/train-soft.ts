// train-soft: a ResNet trained on soft targets (the label distribution). Shares
// everything but the targets with train-onehot; see nodes/train/.
import { makeTrainNode } from './train/node-def.js';

export default makeTrainNode('soft');
