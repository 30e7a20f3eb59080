// COMPILE-ONLY STUB of androidx.camera:camera-core's ImageProxy (see ../../../../README.md).
// Never packaged: the app's own CameraX dependency provides the real class.
package androidx.camera.core;

import android.graphics.Rect;
import java.nio.ByteBuffer;

public interface ImageProxy extends AutoCloseable {
    @Override
    void close();

    Rect getCropRect();

    void setCropRect(Rect rect);

    int getFormat();

    int getHeight();

    int getWidth();

    PlaneProxy[] getPlanes();

    ImageInfo getImageInfo();

    interface PlaneProxy {
        int getRowStride();

        int getPixelStride();

        ByteBuffer getBuffer();
    }
}
