// train-onehot: a ResNet trained on one-hot targets (the plurality label). Shares
// everything but the targets with train-soft; see nodes/train/.
import { makeTrainNode } from './train/node-def.js';

export default makeTrainNode('onehot');
